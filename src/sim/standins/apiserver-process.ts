/**
 * The body of the kube-apiserver stand-in process (`bootkube sim apiserver`, started by the
 * simulated kubelet through the pod's lockexec): bootkube's own API server in standalone mode
 * (DESIGN §4, stand-in mode: a watch from before its start revision gets 410) on the etcd, port
 * and TLS files of kube-apiserver's own flags, until SIGTERM. Then it stops accepting, destroys
 * every connection, closes etcd and returns; the process exits and the kernel frees the lock.
 */
import { readFile } from 'node:fs/promises';
import { createApiServer, listen } from '../../apiserver/index.js';
import { createStorage, type Storage } from '../../apiserver/storage/index.js';
import { borrowedStorage } from '../../apiserver/storage/borrowed.js';
import { StandInConfigError } from './errors.js';
import { parseComponentFlags } from './flags.js';

export interface StandInApiServerConfig {
  bindAddress: string;
  securePort: number;
  etcdServers: string[];
  etcdCaFile?: string;
  etcdCertFile?: string;
  etcdKeyFile?: string;
  tlsCertFile: string;
  tlsKeyFile: string;
  clientCaFile: string;
  serviceAccountSigningKeyFile?: string;
  serviceAccountIssuer?: string;
  serviceClusterIpRange?: string;
}

/** The kube-apiserver flags that shape the stand-in (file paths already host paths); every other flag is ignored. */
export const APISERVER_FILE_FLAGS = [
  'etcd-cafile',
  'etcd-certfile',
  'etcd-keyfile',
  'tls-cert-file',
  'tls-private-key-file',
  'client-ca-file',
  'service-account-signing-key-file',
] as const;

/** Reads the stand-in's settings from kube-apiserver flags; StandInConfigError names a missing one. */
export function apiServerConfigFromFlags(argv: readonly string[]): StandInApiServerConfig {
  const flags = parseComponentFlags(argv);
  const need = (name: string): string => {
    const v = flags.get(name);
    if (!v) throw new StandInConfigError(`kube-apiserver stand-in: --${name} is required`);
    return v;
  };
  const port = Number(flags.get('secure-port') ?? '6443');
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new StandInConfigError(
      `kube-apiserver stand-in: invalid --secure-port ${flags.get('secure-port')}`,
    );
  return {
    bindAddress: flags.get('bind-address') ?? '0.0.0.0',
    securePort: port,
    etcdServers: need('etcd-servers')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    etcdCaFile: flags.get('etcd-cafile'),
    etcdCertFile: flags.get('etcd-certfile'),
    etcdKeyFile: flags.get('etcd-keyfile'),
    tlsCertFile: need('tls-cert-file'),
    tlsKeyFile: need('tls-private-key-file'),
    clientCaFile: need('client-ca-file'),
    serviceAccountSigningKeyFile: flags.get('service-account-signing-key-file'),
    serviceAccountIssuer: flags.get('service-account-issuer'),
    serviceClusterIpRange: flags.get('service-cluster-ip-range'),
  };
}

async function read(file: string, flag: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (cause) {
    throw new StandInConfigError(
      `kube-apiserver stand-in: cannot read --${flag} ${file}: ${(cause as Error).message}`,
      { cause },
    );
  }
}

export interface RunOptions {
  signal: AbortSignal;
  log: (line: string) => void;
  /** Called once the port is bound. */
  onListening?: (address: { host: string; port: number }) => void;
  /** Serve this storage (borrowed, never closed) instead of the etcd of the flags: the rehearsal's memory back end. */
  storage?: Storage;
}

/** Serves until `signal` aborts, then shuts down cleanly; resolves once everything is closed. */
export async function runStandInApiServer(cfg: StandInApiServerConfig, opts: RunOptions): Promise<void> {
  const [tlsCert, tlsKey, clientCa, serviceAccountKey] = await Promise.all([
    read(cfg.tlsCertFile, 'tls-cert-file'),
    read(cfg.tlsKeyFile, 'tls-private-key-file'),
    read(cfg.clientCaFile, 'client-ca-file'),
    cfg.serviceAccountSigningKeyFile
      ? read(cfg.serviceAccountSigningKeyFile, 'service-account-signing-key-file')
      : undefined,
  ]);
  const storage = opts.storage
    ? borrowedStorage(opts.storage)
    : await createStorage({
        backend: 'etcd',
        endpoints: cfg.etcdServers,
        caFile: cfg.etcdCaFile,
        certFile: cfg.etcdCertFile,
        keyFile: cfg.etcdKeyFile,
      });
  try {
    const server = await createApiServer({
      storage,
      tlsCert,
      tlsKey,
      clientCa,
      serviceAccountKey,
      mode: 'standalone',
      serviceCidr: cfg.serviceClusterIpRange,
      issuer: cfg.serviceAccountIssuer,
      log: opts.log,
    });
    try {
      if (opts.signal.aborted) return;
      const address = await listen(server, { host: cfg.bindAddress, port: cfg.securePort });
      opts.log(
        `serving on ${address.host}:${address.port} (etcd ${cfg.etcdServers.join(',')}, start revision ${server.startRevision})`,
      );
      opts.onListening?.(address);
      await new Promise<void>((resolve) => {
        if (opts.signal.aborted) return resolve();
        opts.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      opts.log('shutting down: no new connections, every open one closed');
    } finally {
      await server.close();
    }
  } finally {
    await storage.close();
  }
}
