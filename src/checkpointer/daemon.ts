/**
 * `bootkube checkpoint` as a library call: read the identity from the downward-API environment,
 * take the one-per-node lock (blocking, like v0.14: the DaemonSet pod and its static copy share
 * it, so only one runs the loop), wire the real sources, loop until the signal aborts (SIGTERM),
 * then let the lock go. The command (src/commands) only maps flags onto CheckpointerOptions.
 */
import { join } from 'node:path';
// Not ../lock/index.js: that would load proper-lockfile and the lockexec build into the daemon.
import { tryAcquire, type HandoffLock } from '../lock/handoff-lock.js';
import { API_SERVER_LOCK, HOST_PATHS, POD_CHECKPOINTER_LOCK } from '../render/constants.js';
import { abortableSleep } from './abort.js';
import { Checkpointer } from './checkpointer.js';
import { CheckpointerEnvError, CheckpointerLockLostError } from './errors.js';
import { apiObjectFetcher, apiPodSource, loadClusterAccess } from './sources/api.js';
import { criRuntimeSource } from './sources/cri.js';
import { procHandoffLockInspector } from './sources/handoff-lock.js';
import { kubeletPodSource } from './sources/kubelet.js';
import { httpsReadyzProbe } from './sources/readyz.js';
import { CheckpointStore, storeLayout } from './store.js';
import type { CheckpointerIdentity, Logger, RuntimeSource } from './types.js';

export interface CheckpointerOptions {
  /** Prefix of every host path the checkpointer writes or locks (default '/'). */
  rootDir?: string;
  /** The node's kubelet kubeconfig (default /etc/kubernetes/kubeconfig under rootDir). */
  kubeconfig?: string;
  /** The one-per-node lock (default /var/lock/bootkube/pod-checkpointer.lock under rootDir). */
  lockFile?: string;
  /** CRI socket (default unix:///run/containerd/containerd.sock). */
  containerRuntimeEndpoint?: string;
  /** Default 1 min (v0.14's default; render passes its own). */
  gracePeriodMs?: number;
  /** Default 5 s. */
  intervalMs?: number;
  kubeletPort?: number;
  /** The local truth in place of the CRI socket (the simulation's runtime); closed by its owner. */
  runtime?: RuntimeSource;
  env?: NodeJS.ProcessEnv;
  log: Logger;
  signal: AbortSignal;
}

/** NODE_NAME, POD_NAME, POD_NAMESPACE; a missing one is fatal (as in v0.14). */
export function identityFromEnv(env: NodeJS.ProcessEnv): CheckpointerIdentity {
  const get = (name: string) => {
    const value = env[name];
    if (!value) {
      throw new CheckpointerEnvError(`missing required environment variable: ${name}`, {
        hint: 'the DaemonSet sets NODE_NAME, POD_NAME and POD_NAMESPACE from the downward API',
      });
    }
    return value;
  };
  return { nodeName: get('NODE_NAME'), podName: get('POD_NAME'), podNamespace: get('POD_NAMESPACE') };
}

/** Blocks until the lock is ours (undefined if `signal` aborts first). */
export async function waitForLock(
  path: string,
  signal: AbortSignal,
  log: Logger,
  retryMs = 1000,
): Promise<HandoffLock | undefined> {
  log.info(`trying to acquire the flock at ${path}`);
  while (!signal.aborted) {
    const lock = await tryAcquire(path);
    if (lock) {
      if (signal.aborted) await lock.release();
      else return lock;
    }
    await abortableSleep(retryMs, signal);
  }
  return undefined;
}

/** Runs the checkpointer until `opts.signal` aborts. Throws CheckpointerLockLostError if the lock is lost. */
export async function runCheckpointer(opts: CheckpointerOptions): Promise<void> {
  const rootDir = opts.rootDir ?? '/';
  const identity = identityFromEnv(opts.env ?? process.env);
  const lock = await waitForLock(
    opts.lockFile ?? join(rootDir, POD_CHECKPOINTER_LOCK),
    opts.signal,
    opts.log,
  );
  if (!lock) return;
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  opts.signal.addEventListener('abort', onAbort, { once: true });
  let lost = false;
  void lock.lost.then(() => {
    lost = true;
    stop.abort();
  });
  const cri = opts.runtime
    ? undefined
    : criRuntimeSource({
        endpoint: opts.containerRuntimeEndpoint ?? `unix://${HOST_PATHS.containerdSocket}`,
      });
  const runtime = opts.runtime ?? cri!;
  try {
    const access = await loadClusterAccess(opts.kubeconfig ?? join(rootDir, HOST_PATHS.kubeletKubeconfig));
    const store = new CheckpointStore(storeLayout(rootDir), { log: opts.log });
    await store.init();
    const checkpointer = new Checkpointer({
      identity,
      api: apiPodSource({ access, nodeName: identity.nodeName }),
      kubelet: kubeletPodSource({
        port: opts.kubeletPort,
        tls: { cert: access.tls.cert, key: access.tls.key },
        headers: access.headers,
      }),
      runtime,
      objects: apiObjectFetcher({ access }),
      store,
      lock: procHandoffLockInspector({ lockPath: join(rootDir, API_SERVER_LOCK) }),
      readyz: httpsReadyzProbe(),
      log: opts.log,
      clock: Date.now,
      gracePeriodMs: opts.gracePeriodMs ?? 60_000,
    });
    opts.log.info(`checkpointing on node ${identity.nodeName} as ${checkpointer.selfId}`);
    await checkpointer.runLoop({ intervalMs: opts.intervalMs ?? 5_000, signal: stop.signal });
  } finally {
    opts.signal.removeEventListener('abort', onAbort);
    cri?.close();
    await lock.release();
  }
  if (lost)
    throw new CheckpointerLockLostError(`the checkpointer lock was lost`, {
      hint: 'the flock helper process died; restart the checkpointer',
    });
}
