// A rehearsal environment for start's tests: a rendered asset dir, a private etcd with its TLS, a
// simulated master running the stand-ins; plus an admin client and a watcher of the hand-off lock.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runStart, type StartSummary } from '../../src/bootstrap/start.js';
import { prepareRehearsal, type PrepareOptions, type RehearsalEnv } from '../../src/bootstrap/rehearsal.js';
import { ApiClient } from '../../src/bootstrap/client.js';
import { DEFAULT_REQUIRED_PODS, DEFAULT_TIMEOUTS, type StartOptions } from '../../src/bootstrap/options.js';
import { loadClusterAccess } from '../../src/checkpointer/sources/api.js';
import { flockState } from '../../src/lock/index.js';
import { API_SERVER_LOCK } from '../../src/render/constants.js';

export type { RehearsalEnv };

export function rehearsal(opts: Partial<PrepareOptions> = {}): Promise<RehearsalEnv> {
  return prepareRehearsal({ bootkubeVersion: '0.1.0', ...opts });
}

/** start's options for a rehearsal env, with every phase limited to `timeoutMs`. */
export function startOptions(env: RehearsalEnv, over: Partial<StartOptions> = {}): StartOptions {
  const timeoutMs = 60_000;
  return {
    assetDir: env.assetDir,
    rootDir: env.nodeRoot,
    nodeName: env.nodeName,
    requiredPods: DEFAULT_REQUIRED_PODS,
    strict: false,
    updateExisting: false,
    timeouts: Object.fromEntries(
      Object.keys(DEFAULT_TIMEOUTS).map((k) => [k, timeoutMs]),
    ) as StartOptions['timeouts'],
    signal: new AbortController().signal,
    storage: env.storage,
    etcd: env.givenEtcd,
    ...over,
  };
}

export async function adminClient(env: RehearsalEnv): Promise<ApiClient> {
  return new ApiClient(await loadClusterAccess(join(env.assetDir, 'auth/kubeconfig')));
}

/**
 * Writes ConfigMaps one after another through whatever API server answers (the shim, the bootstrap
 * apiserver, the self-hosted one) until stopped; `acked` are those the API answered 201 to. A
 * write that failed or got no answer is not counted: across a hand-off the outcome of a request
 * cut off in flight is unknown, as for any client.
 */
export function writeThroughout(env: RehearsalEnv): {
  stop(): Promise<{ acked: string[]; refused: number }>;
} {
  let running = true;
  const acked: string[] = [];
  let refused = 0;
  const loop = (async () => {
    const client = await adminClient(env);
    try {
      for (let i = 0; running; i++) {
        const name = `write-probe-${i}`;
        const a = await client.request('POST', '/api/v1/namespaces/kube-system/configmaps', {
          body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { i: String(i) } },
        });
        if (a.status === 201) acked.push(name);
        else refused++;
        await new Promise((r) => setTimeout(r, a.status === 201 ? 20 : 50));
      }
    } finally {
      client.close();
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { acked, refused };
    },
  };
}

/** The names of the ConfigMaps in kube-system now. */
export async function configMapNames(env: RehearsalEnv): Promise<Set<string>> {
  const client = await adminClient(env);
  try {
    const a = await client.request('GET', '/api/v1/namespaces/kube-system/configmaps');
    if (a.status !== 200) throw new Error(`listing config maps: ${a.status}`);
    return new Set((a.body.items as any[]).map((c) => c.metadata.name as string));
  } finally {
    client.close();
  }
}

/**
 * Polls the hand-off lock every few ms until stopped; `maxHolders` is the most processes that
 * held it at once, `sawWaiter` whether anyone was ever seen blocked on it.
 */
export function watchLock(env: RehearsalEnv): {
  stop(): Promise<{ maxHolders: number; samples: number; sawWaiter: boolean }>;
} {
  const file = join(env.nodeRoot, API_SERVER_LOCK);
  let maxHolders = 0;
  let samples = 0;
  let sawWaiter = false;
  let running = true;
  const loop = (async () => {
    while (running) {
      const state = await flockState(file).catch(() => undefined);
      if (state) {
        samples++;
        maxHolders = Math.max(maxHolders, state.holders.length);
        if (state.waiters.length) sawWaiter = true;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { maxHolders, samples, sawWaiter };
    },
  };
}

/** The pods of kube-system as the API lists them now. */
export async function systemPods(client: ApiClient): Promise<any[]> {
  const a = await client.request('GET', '/api/v1/namespaces/kube-system/pods');
  if (a.status !== 200) throw new Error(`listing pods: ${a.status}`);
  return a.body.items;
}

export const isReady = (pod: any): boolean =>
  (pod.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');

export interface WatchedStart {
  summary: StartSummary;
  lockSeen: { maxHolders: number; samples: number; sawWaiter: boolean };
  writes: { acked: string[]; refused: number };
}

/** Runs start on the rehearsal with the lock watched and a client writing throughout. */
export async function startWatched(env: RehearsalEnv): Promise<WatchedStart> {
  const lock = watchLock(env);
  const writer = writeThroughout(env);
  let summary: StartSummary | undefined;
  let writes: WatchedStart['writes'];
  let lockSeen: WatchedStart['lockSeen'];
  try {
    summary = await runStart(startOptions(env), { quiet: true });
  } finally {
    writes = await writer.stop();
    lockSeen = await lock.stop();
  }
  return { summary, lockSeen, writes };
}

/** Every write the API acknowledged is still there. */
export async function assertNoWriteLost(env: RehearsalEnv, writes: WatchedStart['writes']): Promise<void> {
  assert.ok(writes.acked.length > 20, `only ${writes.acked.length} writes acknowledged`);
  const stored = await configMapNames(env);
  const lost = writes.acked.filter((n) => !stored.has(n));
  assert.deepEqual(lost, [], `acknowledged, then lost (of ${writes.acked.length})`);
}

/** A Ready pod (not being deleted) of every control-plane component, and no bootstrap pod left at all. */
export async function assertControlPlaneReady(env: RehearsalEnv): Promise<void> {
  const client = await adminClient(env);
  try {
    const pods = await systemPods(client);
    for (const app of ['kube-apiserver', 'kube-scheduler', 'kube-controller-manager', 'pod-checkpointer']) {
      assert.ok(
        pods.some(
          (p) => p.metadata.labels?.['k8s-app'] === app && isReady(p) && !p.metadata.deletionTimestamp,
        ),
        `${app}: no Ready pod`,
      );
    }
    assert.deepEqual(
      pods.filter((p) => p.metadata.name.startsWith('bootstrap-')).map((p) => p.metadata.name),
      [],
      'bootstrap pods left',
    );
  } finally {
    client.close();
  }
}
