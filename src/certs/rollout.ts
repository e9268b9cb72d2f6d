/**
 * Rolling a self-hosted component so its pods read its Secret again, and waiting until the rollout
 * is complete. Deployments roll as `kubectl rollout restart` does (a template annotation). The
 * apiserver DaemonSet is rolled with a surge of one (its old strategy is saved on the DaemonSet
 * and put back afterwards): the new pod starts next to the old one and waits in lockexec on the
 * hand-off lock; its readiness probe is answered on the shared host port by the old apiserver, so
 * the DaemonSet controller then deletes the old pod, whose exit hands the lock — and the port — to
 * the new one. The API is away only for that hand-off. (Render's own strategy, maxUnavailable 1,
 * would delete the only apiserver of a master first and leave nothing to create its successor
 * until a checkpoint stood in.)
 */
import { answerMessage } from '../bootstrap/client.js';
import { NAMESPACE } from '../render/constants.js';
import { expectOk, type Cluster } from '../status/connect.js';
import { ClusterApiError } from '../status/errors.js';

/** The annotation `kubectl rollout restart` sets on the pod template. */
export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';
/** On the apiserver DaemonSet while renew rolls it: its updateStrategy before, as JSON. */
export const SAVED_STRATEGY = 'bootkube.io/update-strategy-before-renew';

export type WorkloadKind = 'DaemonSet' | 'Deployment';

export interface Rollout {
  workload: string;
  /** Seconds from the patch to a complete rollout. */
  seconds: number;
}

const pathOf = (kind: WorkloadKind, name: string) =>
  `/apis/apps/v1/namespaces/${NAMESPACE}/${kind === 'DaemonSet' ? 'daemonsets' : 'deployments'}/${name}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Rolls `kind`/`name` (a DaemonSet with a surge of one) and waits until every pod is new and available. */
export async function roll(
  cluster: Cluster,
  kind: WorkloadKind,
  name: string,
  at: Date,
  deadline: number,
): Promise<Rollout> {
  const t0 = Date.now();
  const path = pathOf(kind, name);
  const what = `${kind.toLowerCase()}/${name}`;
  const current = (await retrying(cluster, 'GET', path, undefined, `read ${what}`, deadline)).body;
  const template = { metadata: { annotations: { [RESTARTED_AT]: at.toISOString() } } };
  let body: Record<string, unknown> = { spec: { template } };
  if (kind === 'DaemonSet') {
    const saved = current.metadata?.annotations?.[SAVED_STRATEGY];
    body = {
      // A re-run after an interrupted one keeps the strategy saved first.
      metadata: {
        annotations: { [SAVED_STRATEGY]: saved ?? JSON.stringify(current.spec?.updateStrategy ?? {}) },
      },
      spec: {
        template,
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      },
    };
  }
  await retrying(cluster, 'PATCH', path, body, `roll ${what}`, deadline);
  await waitRolledOut(cluster, kind, name, deadline);
  if (kind === 'DaemonSet') await restoreStrategy(cluster, name, deadline);
  return { workload: what, seconds: Math.round((Date.now() - t0) / 100) / 10 };
}

/** Puts back the apiserver DaemonSet's strategy saved by roll(). */
async function restoreStrategy(cluster: Cluster, name: string, deadline: number): Promise<void> {
  const path = pathOf('DaemonSet', name);
  const ds = (await retrying(cluster, 'GET', path, undefined, `read daemonset/${name}`, deadline)).body;
  const saved = ds.metadata?.annotations?.[SAVED_STRATEGY];
  if (!saved) return;
  const strategy = JSON.parse(saved) as { type?: string; rollingUpdate?: Record<string, unknown> };
  // A merge patch: null removes the surge where the old strategy had none.
  const rollingUpdate = { maxSurge: null, maxUnavailable: null, ...(strategy.rollingUpdate ?? {}) };
  await retrying(
    cluster,
    'PATCH',
    path,
    {
      metadata: { annotations: { [SAVED_STRATEGY]: null } },
      spec: {
        updateStrategy: { ...strategy, rollingUpdate: strategy.type === 'OnDelete' ? null : rollingUpdate },
      },
    },
    `restore the update strategy of daemonset/${name}`,
    deadline,
    'application/merge-patch+json',
  );
}

/** Until `kind`/`name` has observed its spec, every pod is updated and available, and no old pod is left. */
async function waitRolledOut(
  cluster: Cluster,
  kind: WorkloadKind,
  name: string,
  deadline: number,
): Promise<void> {
  const path = pathOf(kind, name);
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    const a = await cluster.client.request('GET', path, { timeoutMs: 5000 });
    if (a.status === 200) {
      const w = a.body;
      const observed = (w.status?.observedGeneration ?? 0) >= (w.metadata?.generation ?? 0);
      if (kind === 'Deployment') {
        const want = w.spec?.replicas ?? 1;
        const s = w.status ?? {};
        last = `${s.updatedReplicas ?? 0} of ${want} updated, ${s.availableReplicas ?? 0} available, ${s.replicas ?? 0} in all`;
        if (observed && s.updatedReplicas === want && s.availableReplicas === want && s.replicas === want)
          return;
      } else {
        const s = w.status ?? {};
        const want = s.desiredNumberScheduled ?? 0;
        const pods = await podsOf(cluster, w);
        last = `${s.updatedNumberScheduled ?? 0} of ${want} updated, ${s.numberAvailable ?? 0} available, ${pods ?? '?'} pods`;
        if (observed && s.updatedNumberScheduled === want && s.numberAvailable === want && pods === want)
          return;
      }
    } else last = answerMessage(a);
    await sleep(250);
  }
  throw new ClusterApiError(
    `the rollout of ${kind.toLowerCase()}/${name} did not complete in time (${last})`,
    {
      hint: 'its Secret is updated already; see `bootkube status`, then run renew again',
    },
  );
}

/** The pods a DaemonSet owns and that are not being deleted; undefined while the API does not answer. */
async function podsOf(cluster: Cluster, ds: any): Promise<number | undefined> {
  const labels = Object.entries(ds.spec?.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const a = await cluster.client.request(
    'GET',
    `/api/v1/namespaces/${NAMESPACE}/pods?labelSelector=${encodeURIComponent(labels)}`,
    { timeoutMs: 5000 },
  );
  if (a.status !== 200) return undefined;
  return (a.body.items as any[]).filter(
    (p) =>
      !p.metadata.deletionTimestamp &&
      p.metadata.ownerReferences?.some((r: any) => r.controller && r.uid === ds.metadata.uid),
  ).length;
}

/** One request, retried while no answer comes or the API is unavailable (an apiserver hand-off), until `deadline`. */
export async function retrying(
  cluster: Cluster,
  method: string,
  path: string,
  body: unknown,
  what: string,
  deadline: number,
  contentType = 'application/strategic-merge-patch+json',
) {
  for (;;) {
    const a = await cluster.client.request(method, path, {
      ...(body === undefined
        ? {}
        : { body, contentType: method === 'PATCH' ? contentType : 'application/json' }),
      timeoutMs: 10_000,
    });
    const transient = a.status === 0 || a.status === 503 || a.status === 429 || a.status === 500;
    if (!transient || Date.now() >= deadline) return expectOk(cluster, a, what);
    await sleep(250);
  }
}
