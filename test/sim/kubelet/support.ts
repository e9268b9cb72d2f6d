// Test support for the simulated kubelet: a rendered asset dir (the real PKI and kubeconfigs), the
// API shim on a free port over real etcd (or memory), kubeconfigs pointing at it, and kubectl.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { createApiServer, listen, type ShimServer } from '../../../src/apiserver/index.js';
import { createStorage, MemoryStorage, type Storage } from '../../../src/apiserver/storage/index.js';
import { loadClusterConfig } from '../../../src/config/index.js';
import { render } from '../../../src/render/render.js';
import { loadKubeconfig, type KubeletCredentials } from '../../../src/sim/kubelet/kubeconfig.js';
import { startEtcd, type EtcdHandle } from '../../helpers/etcd.js';

export const NODE = 'node-1';

export interface Rendered {
  work: string;
  assetDir: string;
  cleanup(): Promise<void>;
}

let rendered: Promise<Rendered> | undefined;

/** One asset dir per test process (ECDSA keys for speed), for node NODE with the API at 127.0.0.1. */
export function renderOnce(): Promise<Rendered> {
  rendered ??= (async () => {
    const work = await mkdtemp(join(tmpdir(), 'sim-kubelet-'));
    const assetDir = join(work, 'assets');
    const config = await loadClusterConfig({
      flags: { 'node-name': NODE, 'key-type': 'ecdsa-p256', 'api-servers': 'https://127.0.0.1:6443', 'etcd-servers': 'http://127.0.0.1:2379' },
      bootkubeVersion: '0.1.0',
    });
    await render({ config, assetDir, force: false });
    return { work, assetDir, cleanup: () => rm(work, { recursive: true, force: true }) };
  })();
  return rendered;
}

export interface Shim {
  server: ShimServer;
  port: number;
  url: string;
  storage: Storage;
  etcd?: EtcdHandle;
  /** Kubeconfigs (admin, kubelet) rewritten to this shim's port. */
  adminKubeconfig: string;
  kubeletKubeconfig: string;
  kubelet: KubeletCredentials;
  admin: KubeletCredentials;
  kubectl(...args: string[]): Promise<{ stdout: string; stderr: string }>;
  /** Stops serving (the API becomes unreachable); storage stays. */
  close(): Promise<void>;
  /** close() and stop etcd. */
  destroy(): Promise<void>;
}

async function rewriteKubeconfig(src: string, dest: string, url: string): Promise<void> {
  const doc = parseYaml(await readFile(src, 'utf8')) as { clusters: Array<{ cluster: { server: string } }> };
  for (const c of doc.clusters) c.cluster.server = url;
  await writeFile(dest, stringifyYaml(doc), { mode: 0o600 });
}

/** The shim, standalone, on 127.0.0.1:<port> over etcd (`etcd: true`) or memory. */
export async function startShim(r: Rendered, opts: { etcd?: boolean; port?: number; storage?: Storage; etcdHandle?: EtcdHandle } = {}): Promise<Shim> {
  const tls = (f: string) => readFile(join(r.assetDir, 'tls', f));
  const etcd = opts.etcdHandle ?? (opts.etcd && !opts.storage ? await startEtcd() : undefined);
  const storage = opts.storage ?? (etcd ? await createStorage({ backend: 'etcd', endpoints: [etcd.endpoint] }) : new MemoryStorage());
  const server = await createApiServer({
    storage,
    tlsCert: await tls('apiserver.crt'),
    tlsKey: await tls('apiserver.key'),
    clientCa: await tls('ca.crt'),
    serviceAccountKey: await tls('service-account.key'),
    mode: 'standalone',
    log: process.env.SHIM_DEBUG ? (l) => console.error(`[shim] ${l}`) : undefined,
    requestLog: process.env.SHIM_DEBUG ? (l) => console.error(`[shim] ${l}`) : undefined,
  });
  const addr = await listen(server, { host: '127.0.0.1', port: opts.port ?? 0 });
  const url = `https://127.0.0.1:${addr.port}`;
  const dir = await mkdtemp(join(r.work, 'kc-'));
  const adminKubeconfig = join(dir, 'admin');
  const kubeletKubeconfig = join(dir, 'kubelet');
  await rewriteKubeconfig(join(r.assetDir, 'auth/kubeconfig'), adminKubeconfig, url);
  await rewriteKubeconfig(join(r.assetDir, 'auth/kubeconfig-kubelet'), kubeletKubeconfig, url);
  const run = promisify(execFile);
  return {
    server,
    port: addr.port,
    url,
    storage,
    etcd,
    adminKubeconfig,
    kubeletKubeconfig,
    kubelet: await loadKubeconfig(kubeletKubeconfig),
    admin: await loadKubeconfig(adminKubeconfig),
    kubectl: (...args) => run('kubectl', ['--kubeconfig', adminKubeconfig, ...args], { timeout: 60_000 }),
    close: () => server.close(),
    async destroy() {
      await server.close();
      if (!opts.storage) await storage.close();
      if (!opts.etcdHandle) await etcd?.stop();
    },
  };
}

/** Waits for cond with a deadline (tests never sleep for a fixed time). */
export async function eventually<T>(cond: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

