/**
 * A DaemonSet's history as ControllerRevisions (k/k pkg/controller/daemon update.go
 * constructHistory, snapshot, cleanupHistory): each distinct template is one revision named
 * `<ds>-<hash>`, labelled controller-revision-hash=<hash>, whose data is the strategic merge patch
 * that restores the template (what `kubectl rollout undo` applies). The current revision's hash
 * labels the pods, so a template change is what makes pods old.
 */
import { labelSelectorFromObject } from '../../../apiserver/selectors/index.js';
import type { KObj, KubeClient } from '../client/client.js';
import { isApiStatus } from '../errors.js';
import { inNamespace, objectPath, type ControllerContext } from './context.js';
import { REVISION_HASH_LABEL } from './daemonset-logic.js';
import { canonicalJson, computeHash, controllerRef } from './pods.js';
import { claim } from './ref-manager.js';

/** getPatch: `{"spec":{"template":{…,"$patch":"replace"}}}` with keys sorted, as Go marshals a map. */
export function revisionData(ds: KObj): KObj {
  return { spec: { template: { ...ds.spec.template, $patch: 'replace' } } };
}

export function matchesRevision(ds: KObj, revision: KObj): boolean {
  return canonicalJson(revisionData(ds)) === canonicalJson(revision.data);
}

const revisionsPath = (ns: string, name?: string): string =>
  objectPath('apps/v1', 'controllerrevisions', ns, name);

/** The current revision (created or renumbered as needed) and the old ones. */
export async function constructHistory(
  ctx: ControllerContext,
  ds: KObj,
): Promise<{ current: KObj; old: KObj[] }> {
  const { client } = ctx;
  const ns = ds.metadata.namespace;
  const selector = labelSelectorFromObject(ds.spec?.selector) ?? { requirements: [] };
  const histories = await claim(inNamespace(ctx.informers.controllerRevisions, ns), {
    client,
    owner: ds,
    ownerApiVersion: 'apps/v1',
    ownerKind: 'DaemonSet',
    selector,
    pathOf: (r) => revisionsPath(ns, r.metadata.name),
    recheckOwner: () =>
      client.get(objectPath('apps/v1', 'daemonsets', ns, ds.metadata.name)).catch(() => undefined),
    signal: ctx.signal,
  });
  const current: KObj[] = [];
  const old: KObj[] = [];
  for (const h of histories) (matchesRevision(ds, h) ? current : old).push(h);
  const nextRevision = Math.max(0, ...old.map((h) => Number(h.revision) || 0)) + 1;
  if (current.length === 0) return { current: await snapshot(client, ds, nextRevision, ctx.signal), old };
  // Duplicates of the current template: keep the highest revision (pods are relabelled by the next syncs).
  current.sort((a, b) => (Number(b.revision) || 0) - (Number(a.revision) || 0));
  for (const dup of current.slice(1))
    await client.delete(revisionsPath(ns, dup.metadata.name)).catch(ignoreNotFound);
  let cur = current[0]!;
  if ((Number(cur.revision) || 0) < nextRevision) {
    cur = await client.update(
      revisionsPath(ns, cur.metadata.name),
      { ...cur, revision: nextRevision },
      ctx.signal,
    );
  }
  return { current: cur, old };
}

async function snapshot(client: KubeClient, ds: KObj, revision: number, signal: AbortSignal): Promise<KObj> {
  const ns = ds.metadata.namespace;
  const hash = computeHash(ds.spec.template, ds.status?.collisionCount);
  const name = `${ds.metadata.name}-${hash}`;
  const body: KObj = {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name,
      namespace: ns,
      labels: { ...ds.spec.template.metadata?.labels, [REVISION_HASH_LABEL]: hash },
      ownerReferences: [controllerRef(ds, 'apps/v1', 'DaemonSet')],
    },
    data: revisionData(ds),
    revision,
  };
  if (ds.metadata.annotations) body.metadata.annotations = ds.metadata.annotations;
  try {
    return await client.create(revisionsPath(ns), body, signal);
  } catch (err) {
    if (!isApiStatus(err, 409)) throw err;
    const existing = await client.get(revisionsPath(ns, name), signal);
    if (matchesRevision(ds, existing)) return existing;
    // A different template hashed to the same name: count the collision, the next sync hashes anew.
    const dsPath = objectPath('apps/v1', 'daemonsets', ns, ds.metadata.name);
    const fresh = await client.get(dsPath, signal);
    await client.update(
      `${dsPath}/status`,
      { ...fresh, status: { ...fresh.status, collisionCount: (fresh.status?.collisionCount ?? 0) + 1 } },
      signal,
    );
    throw err;
  }
}

/** Deletes old revisions beyond revisionHistoryLimit (default 10), oldest first, never one a live pod still carries. */
export async function cleanupHistory(
  ctx: ControllerContext,
  ds: KObj,
  old: KObj[],
  pods: KObj[],
): Promise<void> {
  const limit = ds.spec?.revisionHistoryLimit ?? 10;
  let toKill = old.length - limit;
  if (toKill <= 0) return;
  const live = new Set(pods.map((p) => p.metadata?.labels?.[REVISION_HASH_LABEL]).filter(Boolean));
  for (const h of [...old].sort((a, b) => (Number(a.revision) || 0) - (Number(b.revision) || 0))) {
    if (toKill <= 0) break;
    if (live.has(h.metadata?.labels?.[REVISION_HASH_LABEL])) continue;
    await ctx.client
      .delete(revisionsPath(ds.metadata.namespace, h.metadata.name), undefined, ctx.signal)
      .catch(ignoreNotFound);
    toKill--;
  }
}

function ignoreNotFound(err: unknown): void {
  if (!isApiStatus(err, 404)) throw err;
}
