/**
 * `start --simulate`: the whole bootstrap on this machine (DESIGN §5). A private etcd with the
 * asset dir's etcd certificates, a simulated master whose kubelet runs the stand-in control plane
 * (the apiserver as a real process behind the real lockexec), and the real `start` sequence
 * against them. Without an asset dir, one is rendered for loopback first (ECDSA keys: fast).
 * Everything it starts is stopped, and its temp dir removed, however it ends.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { writeFileAtomic } from '../fs/atomic-file.js';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadClusterConfig } from '../config/index.js';
import { freePorts, startEtcd, type EtcdHandle } from '../etcd/local.js';
import { buildLockexec } from '../lock/index.js';
import { render } from '../render/render.js';
import { HOST_PATHS, LOCKEXEC } from '../render/constants.js';
import { SimCluster, type ClusterEvent } from '../sim/cluster.js';
import type { RequestRecord } from '../sim/kubelet/api-client.js';
import { RealClock } from '../sim/kubelet/clock.js';
import { loadKubeconfig, nodeNameOf } from '../sim/kubelet/kubeconfig.js';
import { standInRunners } from '../sim/standins/index.js';
import { StartFlagError } from './errors.js';
import type { StartOptions } from './options.js';
import { runStart, type StartSummary } from './start.js';

export interface RehearsalOptions extends Omit<StartOptions, 'assetDir' | 'rootDir' | 'apiDial' | 'etcd'> {
  /** The asset dir to rehearse; rendered into the work dir when absent. */
  assetDir?: string;
  /** Where the simulated nodes keep their host paths; a temp dir, removed at the end, when absent. */
  workDir?: string;
  bootkubeVersion: string;
  onEvent?: (e: ClusterEvent) => void;
}

export interface RehearsalSummary extends StartSummary {
  rehearsal: { assetDir: string; workDir: string; etcd: string; etcdStartMs: number; renderMs?: number };
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
  etcd: EtcdHandle;
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
}

/** Everything but `start`: the asset dir, a private etcd, the simulated master running. */
export async function prepareRehearsal(o: PrepareOptions): Promise<RehearsalEnv> {
  const keep = o.workDir !== undefined;
  const work = o.workDir ? resolve(o.workDir) : await mkdtemp(join(tmpdir(), 'bootkube-rehearsal-'));
  let etcd: EtcdHandle | undefined;
  let cluster: SimCluster | undefined;
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await cluster?.stop().catch(() => undefined);
      await etcd?.stop().catch(() => undefined);
      if (!keep) await rm(work, { recursive: true, force: true }).catch(() => undefined);
    })());
  try {
    const lockexec = await buildLockexec();
    const [apiPort, etcdPort] = await freePorts(2);
    const assetDir = o.assetDir ? resolve(o.assetDir) : join(work, 'assets');
    let renderMs: number | undefined;
    if (!o.assetDir) {
      const t = Date.now();
      const config = await loadClusterConfig({
        flags: {
          'api-servers': `https://127.0.0.1:${apiPort}`,
          'etcd-servers': `https://127.0.0.1:${etcdPort}`,
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
    const etcdUrl = new URL(etcdFlag?.split(',')[0] ?? `https://127.0.0.1:${etcdPort}`);
    if (etcdUrl.protocol !== 'https:' || !['127.0.0.1', 'localhost'].includes(etcdUrl.hostname)) {
      throw new StartFlagError(
        `--simulate: the asset dir's etcd is ${etcdUrl.origin}, which this machine cannot rehearse on`,
        { hint: 'render with --etcd-servers https://127.0.0.1:PORT' },
      );
    }
    const tls = (p: string) => join(assetDir, 'tls', p);
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
      runners: () => standInRunners({ lockexecPath: lockexec, backoff: { minMs: 50, maxMs: 500 } }),
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
      { ...o, assetDir: env.assetDir, rootDir: env.nodeRoot, nodeName: env.nodeName },
      ui,
    );
    return {
      ...summary,
      rehearsal: {
        assetDir: env.assetDir,
        workDir: env.workDir,
        etcd: env.etcd.endpoint,
        etcdStartMs: env.etcd.startMs,
        renderMs: env.renderMs,
      },
    };
  } finally {
    await env.stop();
  }
}
