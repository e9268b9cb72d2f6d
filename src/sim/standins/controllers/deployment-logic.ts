/**
 * The arithmetic of the Deployment controller as pure functions (k/k pkg/controller/deployment
 * rolling.go, sync.go, progress.go and util/deployment_util.go): surge and unavailability
 * fenceposts, how far the new ReplicaSet may grow, how far old ones may shrink, proportional
 * scaling, and the status with its Available and Progressing conditions.
 */
import type { KObj } from '../client/client.js';
import { canonicalJson, scaledValue } from './pods.js';

export const POD_TEMPLATE_HASH = 'pod-template-hash';
export const REVISION = 'deployment.kubernetes.io/revision';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
/** Deployment annotations never copied to its ReplicaSets (skipCopyAnnotation). */
const NOT_COPIED = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  'deployment.kubernetes.io/revision-history',
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  'deprecated.deployment.rollback.to',
]);

export const replicasOf = (o: KObj | undefined): number => o?.spec?.replicas ?? 0;
const isRolling = (d: KObj): boolean => (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';

/** ResolveFenceposts: surge rounds up, unavailability down; both zero means one unavailable. */
export function fenceposts(d: KObj): { maxSurge: number; maxUnavailable: number } {
  const ru = d.spec?.strategy?.rollingUpdate ?? {};
  const desired = replicasOf(d);
  const maxSurge = scaledValue(ru.maxSurge, desired, true, '25%');
  let maxUnavailable = scaledValue(ru.maxUnavailable, desired, false, '25%');
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

export function maxSurge(d: KObj): number {
  return isRolling(d) ? fenceposts(d).maxSurge : 0;
}

export function maxUnavailable(d: KObj): number {
  if (!isRolling(d) || replicasOf(d) === 0) return 0;
  return Math.min(fenceposts(d).maxUnavailable, replicasOf(d));
}

const sum = (rss: KObj[], f: (rs: KObj) => number): number => rss.reduce((s, rs) => s + f(rs), 0);
export const specReplicas = (rss: KObj[]): number => sum(rss, replicasOf);
export const statusReplicas = (rss: KObj[]): number => sum(rss, (rs) => rs.status?.replicas ?? 0);
export const availableReplicas = (rss: KObj[]): number => sum(rss, (rs) => rs.status?.availableReplicas ?? 0);
export const readyReplicas = (rss: KObj[]): number => sum(rss, (rs) => rs.status?.readyReplicas ?? 0);
export const active = (rss: KObj[]): KObj[] => rss.filter((rs) => replicasOf(rs) > 0);

/** Oldest first, by creation time then name (ReplicaSetsByCreationTimestamp). */
export function byCreationTimestamp(a: KObj, b: KObj): number {
  const ta = a.metadata?.creationTimestamp ?? '';
  const tb = b.metadata?.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  return (a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1;
}

/** Two pod templates are the same rollout when equal but for the pod-template-hash label (EqualIgnoreHash). */
export function equalIgnoreHash(a: KObj, b: KObj): boolean {
  const strip = (t: KObj): KObj => {
    const labels = { ...t?.metadata?.labels };
    delete labels[POD_TEMPLATE_HASH];
    return { ...t, metadata: { ...t?.metadata, labels } };
  };
  return canonicalJson(strip(a)) === canonicalJson(strip(b));
}

/** The ReplicaSet running the Deployment's current template (the oldest, if several), and all the others. */
export function splitReplicaSets(d: KObj, rss: KObj[]): { newRS?: KObj; old: KObj[] } {
  const sorted = [...rss].sort(byCreationTimestamp);
  const newRS = sorted.find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
  return { newRS, old: sorted.filter((rs) => rs !== newRS) };
}

export function revisionOf(rs: KObj): number {
  return Number(rs.metadata?.annotations?.[REVISION] ?? 0) || 0;
}

/** How many replicas the new ReplicaSet should have now (NewRSNewReplicas). */
export function newRSNewReplicas(d: KObj, all: KObj[], newRS: KObj): number {
  if (!isRolling(d)) return replicasOf(d);
  const current = specReplicas(all);
  const maxTotal = replicasOf(d) + maxSurge(d);
  if (current >= maxTotal) return replicasOf(newRS);
  return replicasOf(newRS) + Math.min(maxTotal - current, replicasOf(d) - replicasOf(newRS));
}

/**
 * How far old ReplicaSets may shrink this round (reconcileOldReplicaSets): first the unhealthy
 * replicas of the oldest sets, then available ones while minAvailable holds. Returns new sizes by name.
 */
export function scaleDownOld(d: KObj, all: KObj[], old: KObj[], newRS: KObj): Map<string, number> {
  const sizes = new Map<string, number>();
  if (specReplicas(old) === 0) return sizes;
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const newUnavailable = replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0);
  const maxScaledDown = specReplicas(all) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return sizes;
  const sorted = [...old].sort(byCreationTimestamp);
  const size = (rs: KObj): number => sizes.get(rs.metadata.name) ?? replicasOf(rs);
  let cleaned = 0;
  for (const rs of sorted) {
    if (cleaned >= maxScaledDown) break;
    if (replicasOf(rs) === 0) continue;
    const unhealthy = replicasOf(rs) - (rs.status?.availableReplicas ?? 0);
    if (unhealthy <= 0) continue;
    const down = Math.min(maxScaledDown - cleaned, unhealthy);
    sizes.set(rs.metadata.name, replicasOf(rs) - down);
    cleaned += down;
  }
  // scaleDownOldReplicaSetsForRollingUpdate: available pods above minAvailable may go.
  const availableNow = availableReplicas([...old, newRS]);
  if (availableNow <= minAvailable) return sizes;
  const budget = availableNow - minAvailable;
  let scaled = 0;
  for (const rs of sorted) {
    if (scaled >= budget) break;
    if (size(rs) === 0) continue;
    const down = Math.min(size(rs), budget - scaled);
    sizes.set(rs.metadata.name, size(rs) - down);
    scaled += down;
  }
  return sizes;
}

/**
 * Proportional scaling when spec.replicas changed mid-rollout (sync.go scale): the difference is
 * spread over the active sets in proportion to their size, leftovers to the largest.
 */
export function proportionalSizes(d: KObj, newRS: KObj | undefined, old: KObj[]): Map<string, number> {
  const sizes = new Map<string, number>();
  const all = active([...old, ...(newRS ? [newRS] : [])]);
  const allowed = replicasOf(d) > 0 ? replicasOf(d) + maxSurge(d) : 0;
  const toAdd = allowed - specReplicas(all);
  if (toAdd === 0) return sizes;
  // Largest first; among equals the newest when growing, the oldest when shrinking (ReplicaSetsBySizeNewer/Older).
  all.sort(
    (a, b) =>
      replicasOf(b) - replicasOf(a) || (toAdd > 0 ? -byCreationTimestamp(a, b) : byCreationTimestamp(a, b)),
  );
  let added = 0;
  for (const rs of all) {
    let proportion = 0;
    if (replicasOf(rs) > 0 && toAdd !== added) {
      const deploymentReplicas = replicasOf(d) + maxSurge(d);
      const annotated =
        Number(rs.metadata?.annotations?.[MAX_REPLICAS] ?? d.status?.replicas ?? 0) ||
        d.status?.replicas ||
        1;
      const fraction =
        replicasOf(d) === 0
          ? -replicasOf(rs)
          : Math.round((replicasOf(rs) * deploymentReplicas) / annotated) - replicasOf(rs);
      proportion = toAdd > 0 ? Math.min(fraction, toAdd - added) : Math.max(fraction, toAdd - added);
    }
    sizes.set(rs.metadata.name, replicasOf(rs) + proportion);
    added += proportion;
  }
  const first = all[0];
  if (first) sizes.set(first.metadata.name, Math.max(0, sizes.get(first.metadata.name)! + toAdd - added));
  return sizes;
}

/** The annotations a new or current ReplicaSet carries (SetNewReplicaSetAnnotations); true when they changed. */
export function setNewRSAnnotations(d: KObj, rs: KObj, newRevision: number, exists: boolean): boolean {
  const before = canonicalJson(rs.metadata.annotations ?? {});
  const annotations: Record<string, string> = { ...rs.metadata.annotations };
  for (const [k, v] of Object.entries<string>(d.metadata?.annotations ?? {}))
    if (!NOT_COPIED.has(k)) annotations[k] = v;
  if (revisionOf(rs) < newRevision) annotations[REVISION] = String(newRevision);
  if (!exists) {
    annotations[DESIRED_REPLICAS] = String(replicasOf(d));
    annotations[MAX_REPLICAS] = String(replicasOf(d) + maxSurge(d));
  }
  rs.metadata.annotations = annotations;
  return canonicalJson(annotations) !== before;
}

export function condition(
  type: string,
  status: 'True' | 'False',
  reason: string,
  message: string,
  now: string,
): KObj {
  return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
}

/** SetDeploymentCondition: same status and reason = no change; same status keeps lastTransitionTime. */
export function setCondition(status: KObj, cond: KObj): void {
  const conditions: KObj[] = status.conditions ?? [];
  const current = conditions.find((c) => c.type === cond.type);
  if (current && current.status === cond.status && current.reason === cond.reason) return;
  const next = { ...cond };
  if (current && current.status === cond.status) next.lastTransitionTime = current.lastTransitionTime;
  status.conditions = [...conditions.filter((c) => c.type !== cond.type), next];
}

/** calculateStatus: counts over the sets, and Available by minimum availability. */
export function calculateStatus(d: KObj, all: KObj[], newRS: KObj | undefined, now: string): KObj {
  const available = availableReplicas(all);
  const status: KObj = {
    observedGeneration: d.metadata?.generation,
    replicas: statusReplicas(all),
    updatedReplicas: newRS ? statusReplicas([newRS]) : 0,
    readyReplicas: readyReplicas(all),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, specReplicas(all) - available),
    conditions: [...(d.status?.conditions ?? [])],
  };
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  if (available >= replicasOf(d) - maxUnavailable(d))
    setCondition(
      status,
      condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', now),
    );
  else
    setCondition(
      status,
      condition(
        'Available',
        'False',
        'MinimumReplicasUnavailable',
        'Deployment does not have minimum availability.',
        now,
      ),
    );
  return status;
}

export function deploymentComplete(d: KObj, s: KObj): boolean {
  const want = replicasOf(d);
  return (
    (s.updatedReplicas ?? 0) === want &&
    (s.replicas ?? 0) === want &&
    (s.availableReplicas ?? 0) === want &&
    (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0)
  );
}

export function deploymentProgressing(d: KObj, s: KObj): boolean {
  const o = d.status ?? {};
  const oldOld = (o.replicas ?? 0) - (o.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (s.updatedReplicas ?? 0) > (o.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (s.readyReplicas ?? 0) > (o.readyReplicas ?? 0) ||
    (s.availableReplicas ?? 0) > (o.availableReplicas ?? 0)
  );
}

/** syncRolloutStatus's status: the Progressing condition moved by completion, progress or the deadline. */
export function rolloutStatus(d: KObj, all: KObj[], newRS: KObj | undefined, nowMs: number): KObj {
  const now = new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const status = calculateStatus(d, all, newRS, now);
  const deadline: number | undefined = d.spec?.progressDeadlineSeconds;
  if (deadline === undefined || deadline === 2147483647) {
    status.conditions = status.conditions.filter((c: KObj) => c.type !== 'Progressing');
    return status;
  }
  const current = (d.status?.conditions ?? []).find((c: KObj) => c.type === 'Progressing');
  const complete = status.replicas === status.updatedReplicas && current?.reason === 'NewReplicaSetAvailable';
  if (complete) return status;
  const rsName = newRS?.metadata?.name;
  if (deploymentComplete(d, status)) {
    const msg = rsName
      ? `ReplicaSet "${rsName}" has successfully progressed.`
      : `Deployment "${d.metadata.name}" has successfully progressed.`;
    setCondition(status, condition('Progressing', 'True', 'NewReplicaSetAvailable', msg, now));
  } else if (deploymentProgressing(d, status)) {
    const msg = rsName
      ? `ReplicaSet "${rsName}" is progressing.`
      : `Deployment "${d.metadata.name}" is progressing.`;
    const cond = condition('Progressing', 'True', 'ReplicaSetUpdated', msg, now);
    if (current?.status === 'True') cond.lastTransitionTime = current.lastTransitionTime;
    status.conditions = [...status.conditions.filter((c: KObj) => c.type !== 'Progressing'), cond];
  } else if (
    current &&
    current.reason !== 'NewReplicaSetAvailable' &&
    Date.parse(current.lastUpdateTime) + deadline * 1000 < nowMs
  ) {
    const msg = rsName
      ? `ReplicaSet "${rsName}" has timed out progressing.`
      : `Deployment "${d.metadata.name}" has timed out progressing.`;
    setCondition(status, condition('Progressing', 'False', 'ProgressDeadlineExceeded', msg, now));
  }
  return status;
}

/** Equal statuses as Go compares them (zero counts are omitted fields). */
export function sameDeploymentStatus(a: KObj | undefined, b: KObj): boolean {
  const compact = (s: KObj): KObj =>
    Object.fromEntries(
      Object.entries(s).filter(
        ([, v]) => v !== 0 && v !== undefined && !(Array.isArray(v) && v.length === 0),
      ),
    );
  return canonicalJson(compact(a ?? {})) === canonicalJson(compact(b));
}
