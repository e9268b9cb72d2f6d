/**
 * `start --simulate`: the whole bootstrap on this machine (DESIGN §5). A store, a simulated master
 * whose kubelet runs the stand-in control plane, and the real `start` sequence against them.
 * The store is, in this order: the etcd the operator gives (--etcd-servers); a private etcd with
 * the asset dir's etcd certificates when `etcd` is installed (the apiserver stand-ins are then
 * real processes behind the real lockexec); else the memory back end (the stand-ins serve it in
 * this process, the real lockexec still taking the lock for them). Without an asset dir, one is
 * rendered for loopback (and for the given etcd) first (ECDSA keys: fast). Everything it starts is
 * stopped, and its temp dir removed, however it ends.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { writeFileAtomic } from '../fs/atomic-file.js';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadClusterConfig } from '../config/index.js';
import { createStorage, type Storage } from '../apiserver/storage/index.js';
import { etcdInstalled, freePorts, startEtcd, type EtcdHandle } from '../etcd/local.js';
import { buildLockexec } from '../lock/index.js';
import { render } from '../render/render.js';
import { HOST_PATHS, LOCKEXEC } from '../render/constants.js';
import { SimCluster, type ClusterEvent } from '../sim/cluster.js';
import type { RequestRecord } from '../sim/kubelet/api-client.js';
import { RealClock } from '../sim/kubelet/clock.js';
import { loadKubeconfig, nodeNameOf } from '../sim/kubelet/kubeconfig.js';
import { standInRunners } from '../sim/standins/index.js';
import { StartFlagError } from './errors.js';
import type { EtcdAccess, StartOptions } from './options.js';
import { runStart, type StartSummary } from './start.js';

export type RehearsalBackend = 'etcd' | 'memory';

export interface RehearsalOptions extends Omit<
  StartOptions,
  'assetDir' | 'rootDir' | 'apiDial' | 'etcd' | 'storage'
> {
  /** An etcd to rehearse against instead of a private one. */
  etcd?: EtcdAccess;
  /** Without `etcd`: a private etcd, or the memory back end (default: etcd if it is installed). */
  backend?: RehearsalBackend;
  /** The asset dir to rehearse; rendered into the work dir when absent. */
  assetDir?: string;
  /** Where the simulated nodes keep their host paths; a temp dir, removed at the end, when absent. */
  workDir?: string;
  bootkubeVersion: string;
  onEvent?: (e: ClusterEvent) => void;
}

export interface RehearsalSummary extends StartSummary {
  rehearsal: {
    assetDir: string;
    workDir: string;
    /** Where the objects lived: the etcd endpoints, or "memory". */
    store: string;
    etcdStartMs?: number;
    renderMs?: number;
  };
}

const REHEARSAL_NODE = 'master-0';

export interface RehearsalEnv {
  assetDir: string;
  workDir: string;
  nodeName: string;
  /** The API address of the asset dir (loopback). */
  apiServer: URL;
  /** The simulated master's root dir: start's --root-dir. */
  nodeRoot: string;
  /** The private etcd (absent with a given etcd or the memory back end). */
  etcd?: EtcdHandle;
  /** The etcd start was given, if any. */
  givenEtcd?: EtcdAccess;
  /** The memory back end's store (start's shim and every stand-in apiserver share it). */
  storage?: Storage;
  cluster: SimCluster;
  renderMs?: number;
  /** Stops the nodes and etcd and removes the work dir (unless it was given). Idempotent. */
  stop(): Promise<void>;
}

export interface PrepareOptions {
  assetDir?: string;
  workDir?: string;
  nodeName?: string;
  bootkubeVersion: string;
  onEvent?: (e: ClusterEvent) => void;
  /** Every request the simulated kubelets make (tests). */
  onRequest?: (r: RequestRecord) => void;
  /** Render with these extra flags (tests). */
  renderFlags?: Record<string, string>;
  etcd?: EtcdAccess;
  backend?: RehearsalBackend;
}

/** Everything but `start`: the asset dir, the store (a given etcd, a private one, or memory), the simulated master running. */
export async function prepareRehearsal(o: PrepareOptions): Promise<RehearsalEnv> {
  const keep = o.workDir !== undefined;
  const work = o.workDir ? resolve(o.workDir) : await mkdtemp(join(tmpdir(), 'bootkube-rehearsal-'));
  let etcd: EtcdHandle | undefined;
  let storage: Storage | undefined;
  let cluster: SimCluster | undefined;
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await cluster?.stop().catch(() => undefined);
      await etcd?.stop().catch(() => undefined);
      await storage?.close().catch(() => undefined);
      if (!keep) await rm(work, { recursive: true, force: true }).catch(() => undefined);
    })());
  try {
    const backend: RehearsalBackend = o.backend ?? (o.etcd || etcdInstalled() ? 'etcd' : 'memory');
    if (o.etcd && backend === 'memory')
      throw new StartFlagError('--simulate: an etcd was given and the memory back end asked for', {
        hint: 'give one or the other',
      });
    const lockexec = await buildLockexec();
    const [apiPort, etcdPort] = await freePorts(2);
    const assetDir = o.assetDir ? resolve(o.assetDir) : join(work, 'assets');
    let renderMs: number | undefined;
    if (!o.assetDir) {
      const t = Date.now();
      const config = await loadClusterConfig({
        flags: {
          'api-servers': `https://127.0.0.1:${apiPort}`,
          'etcd-servers': o.etcd ? o.etcd.servers.join(',') : `https://127.0.0.1:${etcdPort}`,
          ...(o.etcd?.caFile
            ? {
                'etcd-ca-path': o.etcd.caFile,
                'etcd-certificate-path': o.etcd.certFile ?? '',
                'etcd-private-key-path': o.etcd.keyFile ?? '',
              }
            : {}),
          'node-name': o.nodeName ?? REHEARSAL_NODE,
          'key-type': 'ecdsa-p256',
          ...o.renderFlags,
        },
        bootkubeVersion: o.bootkubeVersion,
      });
      await render({ config, assetDir, force: true });
      renderMs = Date.now() - t;
    }
    const creds = await loadKubeconfig(join(assetDir, 'auth/kubeconfig-kubelet'));
    const nodeName = o.nodeName ?? nodeNameOf(creds);
    if (!nodeName)
      throw new StartFlagError(`${assetDir}/auth/kubeconfig-kubelet: not a node's certificate`, {
        hint: 'give --node-name',
      });
    const api = new URL(creds.server);
    if (!['127.0.0.1', 'localhost'].includes(api.hostname)) {
      throw new StartFlagError(
        `--simulate: the asset dir serves the API on ${api.host}, which this machine cannot rehearse on`,
        {
          hint: 'rehearse without --asset-dir (one is rendered for loopback), or render with --api-servers https://127.0.0.1:PORT --etcd-servers https://127.0.0.1:PORT',
        },
      );
    }
    const etcdFlag = /--etcd-servers=(\S+)/.exec(
      await readFile(join(assetDir, 'bootstrap-manifests/bootstrap-apiserver.yaml'), 'utf8').catch(() => ''),
    )?.[1];
    if (o.etcd) {
      // The stand-in apiservers use the etcd of the asset dir's flags: it must be the one given.
      const named = (etcdFlag ?? '').split(',').filter(Boolean);
      if (named.join(',') !== o.etcd.servers.join(','))
        throw new StartFlagError(
          `--simulate: the asset dir's apiservers use etcd ${named.join(',') || '(none)'}, not --etcd-servers ${o.etcd.servers.join(',')}`,
          { hint: 'render the asset dir for that etcd, or leave out --asset-dir' },
        );
    }
    const etcdUrl = new URL(etcdFlag?.split(',')[0] ?? `https://127.0.0.1:${etcdPort}`);
    if (
      backend === 'etcd' &&
      !o.etcd &&
      (etcdUrl.protocol !== 'https:' || !['127.0.0.1', 'localhost'].includes(etcdUrl.hostname))
    ) {
      throw new StartFlagError(
        `--simulate: the asset dir's etcd is ${etcdUrl.origin}, which this machine cannot rehearse on`,
        { hint: 'render with --etcd-servers https://127.0.0.1:PORT, or give that etcd with --etcd-servers' },
      );
    }
    const tls = (p: string) => join(assetDir, 'tls', p);
    if (backend === 'memory') storage = await createStorage({ backend: 'memory' });
    else if (!o.etcd)
      etcd = await startEtcd({
        name: nodeName,
        clientPort: Number(etcdUrl.port),
        tls: {
          certFile: tls('etcd/server.crt'),
          keyFile: tls('etcd/server.key'),
          caFile: tls('etcd/ca.crt'),
          trustedCaFile: tls('etcd/ca.crt'),
          clientCertFile: tls('apiserver-etcd-client.crt'),
          clientKeyFile: tls('apiserver-etcd-client.key'),
        },
      });
    cluster = new SimCluster({
      credentials: creds,
      names: [nodeName],
      masters: 1,
      rootDir: join(work, 'nodes'),
      clock: new RealClock(1),
      runners: () => standInRunners({ lockexecPath: lockexec, backoff: { minMs: 50, maxMs: 500 }, storage }),
      pullDelayMs: 20,
      sandboxDelayMs: 20,
      onEvent: o.onEvent,
      onRequest: o.onRequest,
      imageFiles: { [LOCKEXEC.imagePath]: lockexec },
    });
    // What an operator installs on a master before start: the kubelet's kubeconfig (the checkpointer uses it too).
    const nodeRoot = join(work, 'nodes', nodeName);
    await mkdir(join(nodeRoot, HOST_PATHS.kubernetesDir), { recursive: true });
    await writeFileAtomic(
      join(nodeRoot, HOST_PATHS.kubeletKubeconfig),
      await readFile(join(assetDir, 'auth/kubeconfig-kubelet')),
      0o600,
    );
    await cluster.start();
    return {
      assetDir,
      workDir: work,
      nodeName,
      apiServer: api,
      nodeRoot,
      etcd,
      givenEtcd: o.etcd,
      storage,
      cluster,
      renderMs,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Runs the rehearsal; resolves with start's summary once the control plane is verified. */
export async function runRehearsal(
  o: RehearsalOptions,
  ui: { json?: boolean; quiet?: boolean } = {},
): Promise<RehearsalSummary> {
  const env = await prepareRehearsal(o);
  try {
    const summary = await runStart(
      {
        ...o,
        assetDir: env.assetDir,
        rootDir: env.nodeRoot,
        nodeName: env.nodeName,
        etcd: env.givenEtcd,
        storage: env.storage,
      },
      ui,
    );
    return {
      ...summary,
      rehearsal: {
        assetDir: env.assetDir,
        workDir: env.workDir,
        store: rehearsalStore(env),
        etcdStartMs: env.etcd?.startMs,
        renderMs: env.renderMs,
      },
    };
  } finally {
    await env.stop();
  }
}

/** What the rehearsal's objects lived in, for the summary. */
export function rehearsalStore(env: RehearsalEnv): string {
  if (env.storage) return 'memory';
  return env.givenEtcd?.servers.join(',') ?? env.etcd!.endpoint;
}
