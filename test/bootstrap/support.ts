// A rehearsal environment for start's tests: a rendered asset dir, a private etcd with its TLS, a
// simulated master running the stand-ins; plus an admin client and a watcher of the hand-off lock.
import { join } from 'node:path';
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
    ...over,
  };
}

export async function adminClient(env: RehearsalEnv): Promise<ApiClient> {
  return new ApiClient(await loadClusterAccess(join(env.assetDir, 'auth/kubeconfig')));
}

/** Polls the hand-off lock every few ms until stopped; `maxHolders` is the most processes that held it at once. */
export function watchLock(env: RehearsalEnv): { stop(): Promise<{ maxHolders: number; samples: number }> } {
  const file = join(env.nodeRoot, API_SERVER_LOCK);
  let maxHolders = 0;
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const state = await flockState(file).catch(() => undefined);
      if (state) {
        samples++;
        maxHolders = Math.max(maxHolders, state.holders.length);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { maxHolders, samples };
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
