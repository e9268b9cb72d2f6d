import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { createApiServer, listen, loadShimAssets, ShimAssetsError } from '../apiserver/index.js';
import { createStorage, type Storage } from '../apiserver/storage/index.js';

export interface ShimResult {
  /** https://host:port it served on. */
  address: string;
  storage: 'memory' | 'etcd';
  /** The signal that stopped it. */
  stoppedBy: string;
}

export default class Shim extends BaseCommand {
  static override summary = 'Serve the Kubernetes API from an asset dir with the API shim, for debugging.';
  static override description = `Runs the API shim standalone (the full surface: every identity the cluster CA signed, service-account tokens, the system namespaces) with the asset dir's TLS on the address of its admin kubeconfig, until interrupted. Objects live in memory, or in etcd in kube-apiserver's layout with --etcd-servers.

Point kubectl at it with the rendered admin kubeconfig: kubectl --kubeconfig DIR/auth/kubeconfig get nodes.`;

  static override examples = [
    '<%= config.bin %> shim --asset-dir assets',
    '<%= config.bin %> shim --asset-dir assets --etcd-servers https://127.0.0.1:2379 --bind 127.0.0.1:6443 --v 2',
  ];

  static override flags = {
    'asset-dir': Flags.string({
      description: 'the rendered asset dir to serve with',
      required: true,
      env: 'BOOTKUBE_ASSET_DIR',
    }),
    'etcd-servers': Flags.string({
      description: 'comma-separated etcd URLs; without it objects live in memory',
    }),
    'etcd-ca-path': Flags.string({
      description: "etcd's CA certificate [default: the asset dir's tls/etcd/ca.crt]",
    }),
    'etcd-certificate-path': Flags.string({
      description: 'etcd client certificate [default: tls/apiserver-etcd-client.crt]',
    }),
    'etcd-private-key-path': Flags.string({
      description: 'etcd client key [default: tls/apiserver-etcd-client.key]',
    }),
    bind: Flags.string({ description: "ADDR:PORT to serve on [default: the admin kubeconfig's server]" }),
    v: Flags.integer({
      description: 'log verbosity: 2 logs one line per request to stderr',
      default: 0,
      min: 0,
    }),
  };

  async run(): Promise<ShimResult> {
    const { flags } = await this.parse(Shim);
    const assets = await loadShimAssets(flags['asset-dir']);
    const [host, port] = flags.bind ? parseBind(flags.bind) : [bindHost(assets.host), assets.port];
    const storage = await openStorage(flags, assets.etcdTls);
    const err = (line: string) => process.stderr.write(`${line}\n`);
    try {
      const server = await createApiServer({
        storage,
        tlsCert: assets.tlsCert,
        tlsKey: assets.tlsKey,
        clientCa: assets.clientCa,
        serviceAccountKey: assets.serviceAccountKey,
        mode: 'standalone',
        serviceCidr: assets.serviceCidr,
        clusterDomain: assets.clusterDomain,
        issuer: assets.issuer,
        log: flags.v >= 1 ? err : undefined,
        requestLog: flags.v >= 2 ? err : undefined,
      });
      const stop = new AbortController();
      const stopped = new Promise<string>((resolve) => {
        for (const sig of ['SIGINT', 'SIGTERM'] as const)
          process.once(sig, () => (resolve(sig), stop.abort()));
      });
      const addr = await listen(server, { host, port, signal: stop.signal });
      const address = `https://${addr.host.includes(':') ? `[${addr.host}]` : addr.host}:${addr.port}`;
      err(
        `Serving the Kubernetes API on ${address} (storage: ${flags['etcd-servers'] ? flags['etcd-servers'] : 'memory'}); Ctrl-C stops it`,
      );
      const stoppedBy = await stopped;
      await server.close();
      err(`Stopped (${stoppedBy})`);
      return { address, storage: flags['etcd-servers'] ? 'etcd' : 'memory', stoppedBy };
    } finally {
      await storage.close();
    }
  }
}

function parseBind(text: string): [string, number] {
  const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(text);
  if (!m || Number(m[2]) > 65535)
    throw new ShimAssetsError(`--bind ${text}: expected ADDR:PORT`, {
      hint: 'e.g. --bind 127.0.0.1:6443 (port 0 picks a free one)',
    });
  return [m[1] || '0.0.0.0', Number(m[2])];
}

// A DNS name in the kubeconfig is served on every address; an IP on that address only.
function bindHost(host: string): string {
  return /^[\d.]+$/.test(host) || host.includes(':') ? host : '0.0.0.0';
}

async function openStorage(
  flags: {
    'etcd-servers'?: string;
    'etcd-ca-path'?: string;
    'etcd-certificate-path'?: string;
    'etcd-private-key-path'?: string;
  },
  defaults: { caFile: string; certFile: string; keyFile: string } | undefined,
): Promise<Storage> {
  if (!flags['etcd-servers']) return createStorage({ backend: 'memory' });
  const endpoints = flags['etcd-servers']
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const tls = endpoints.some((e) => e.startsWith('https://'));
  return createStorage({
    backend: 'etcd',
    endpoints,
    caFile: flags['etcd-ca-path'] ?? (tls ? defaults?.caFile : undefined),
    certFile: flags['etcd-certificate-path'] ?? (tls ? defaults?.certFile : undefined),
    keyFile: flags['etcd-private-key-path'] ?? (tls ? defaults?.keyFile : undefined),
  });
}
