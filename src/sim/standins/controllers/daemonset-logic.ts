/**
 * The decisions of the DaemonSet controller as pure functions (k/k pkg/controller/daemon
 * daemon_controller.go, update.go, util): which nodes should run a daemon pod, what to create and
 * delete on each, which old pods a rolling update may replace now, and the status counts.
 */
import type { KObj } from '../client/client.js';
import { requiredNodeAffinityMatches, untoleratedTaint } from '../scheduling/predicates.js';
import { isPodAvailable, isPodReady, scaledValue } from './pods.js';

export const REVISION_HASH_LABEL = 'controller-revision-hash';
export const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';
export const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';

/** The tolerations every daemon pod gets (util.AddOrUpdateDaemonPodTolerations). */
export function withDaemonTolerations(spec: KObj): KObj {
  const wanted: KObj[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (spec.hostNetwork)
    wanted.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
  const tolerations: KObj[] = [...(spec.tolerations ?? [])];
  for (const w of wanted) {
    // AddOrUpdateTolerationInPodSpec: a toleration of the same key and effect is replaced, else appended.
    const i = tolerations.findIndex((t) => t.key === w.key && t.effect === w.effect);
    if (i >= 0) tolerations[i] = w;
    else tolerations.push(w);
  }
  return { ...spec, tolerations };
}

/**
 * NodeShouldRunDaemonPod: [shouldRun, shouldContinueRunning]. A node the template's affinity
 * excludes runs nothing; an untolerated NoSchedule taint stops new pods but lets a running one stay,
 * an untolerated NoExecute taint evicts it.
 */
export function nodeShouldRunDaemonPod(node: KObj, ds: KObj): [boolean, boolean] {
  const template = ds.spec?.template ?? {};
  const name = node.metadata?.name;
  if (template.spec?.nodeName && template.spec.nodeName !== name) return [false, false];
  const pod: KObj = {
    metadata: template.metadata,
    spec: { ...withDaemonTolerations(template.spec ?? {}), nodeName: name },
  };
  if (!requiredNodeAffinityMatches(pod, node)) return [false, false];
  const taints = node.spec?.taints;
  const blocking = untoleratedTaint(
    taints,
    pod.spec.tolerations,
    (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute',
  );
  if (blocking)
    return [false, !untoleratedTaint(taints, pod.spec.tolerations, (t) => t.effect === 'NoExecute')];
  return [true, true];
}

/** The node a daemon pod is for: spec.nodeName, or the metadata.name its node affinity pins (util.GetTargetNodeName). */
export function targetNodeName(pod: KObj): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  const terms =
    pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const term of terms) {
    for (const f of term.matchFields ?? []) {
      if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
    }
  }
  return undefined;
}

/** A daemon pod's node affinity replaced by one pinning it to `nodeName` (util.ReplaceDaemonSetPodNodeNameNodeAffinity). */
export function pinToNode(affinity: KObj | undefined, nodeName: string): KObj {
  const required = {
    nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }],
  };
  return {
    ...affinity,
    nodeAffinity: { ...affinity?.nodeAffinity, requiredDuringSchedulingIgnoredDuringExecution: required },
  };
}

/** Claimed pods by target node; terminal pods being deleted are left out (getNodesToDaemonPods). */
export function podsByNode(pods: readonly KObj[]): Map<string, KObj[]> {
  const out = new Map<string, KObj[]>();
  for (const pod of pods) {
    const phase = pod.status?.phase;
    if ((phase === 'Succeeded' || phase === 'Failed') && pod.metadata?.deletionTimestamp) continue;
    const node = targetNodeName(pod);
    if (!node) continue;
    out.set(node, [...(out.get(node) ?? []), pod]);
  }
  return out;
}

/** Scheduled before unscheduled, then oldest first, then by name (podByCreationTimestampAndPhase). */
export function daemonPodOrder(a: KObj, b: KObj): number {
  const sa = a.spec?.nodeName ? 0 : 1;
  const sb = b.spec?.nodeName ? 0 : 1;
  if (sa !== sb) return sa - sb;
  const ta = a.metadata?.creationTimestamp ?? '';
  const tb = b.metadata?.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  return (a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1;
}

export function isPodUpdated(pod: KObj, hash: string, templateGeneration: string | undefined): boolean {
  const labels = pod.metadata?.labels ?? {};
  return (
    (hash !== '' && labels[REVISION_HASH_LABEL] === hash) ||
    (templateGeneration !== undefined && labels[TEMPLATE_GENERATION_LABEL] === templateGeneration)
  );
}

export function maxSurgeOf(ds: KObj, desired: number): number {
  const ru = ds.spec?.updateStrategy;
  if (ru?.type !== 'RollingUpdate' || ru.rollingUpdate?.maxSurge === undefined) return 0;
  return scaledValue(ru.rollingUpdate.maxSurge, desired, true, 0);
}

export function maxUnavailableOf(ds: KObj, desired: number): number {
  const ru = ds.spec?.updateStrategy;
  if (ru?.type !== 'RollingUpdate' || !ru.rollingUpdate) return 0;
  return scaledValue(ru.rollingUpdate.maxUnavailable, desired, true, 1);
}

export interface NodePlan {
  create: boolean;
  delete: string[];
}

/** podsShouldBeOnNode: whether the node needs a pod, and which of its daemon pods go (failed, succeeded, surplus, unwanted). */
export function planNode(
  node: KObj,
  ds: KObj,
  pods: KObj[] | undefined,
  hash: string,
  nowMs: number,
): NodePlan & { failed: string[] } {
  const [shouldRun, shouldContinue] = nodeShouldRunDaemonPod(node, ds);
  const plan = { create: false, delete: [] as string[], failed: [] as string[] };
  if (shouldRun && !pods) {
    plan.create = true;
    return plan;
  }
  if (!pods) return plan;
  if (!shouldContinue) {
    plan.delete = pods.filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.metadata.name);
    return plan;
  }
  const running: KObj[] = [];
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    const phase = pod.status?.phase;
    if (phase === 'Failed') plan.failed.push(pod.metadata.name);
    if (phase === 'Failed' || phase === 'Succeeded') plan.delete.push(pod.metadata.name);
    else running.push(pod);
  }
  running.sort(daemonPodOrder);
  if (maxSurgeOf(ds, 1) === 0) {
    plan.delete.push(...running.slice(1).map((p) => p.metadata.name));
    return plan;
  }
  if (running.length === 0) {
    plan.create = shouldRun;
    return plan;
  }
  // Surging: keep the oldest new pod and the oldest old pod until the new one is available.
  let oldestNew: KObj | undefined;
  let oldestOld: KObj | undefined;
  for (const pod of running) {
    const isNew = pod.metadata?.labels?.[REVISION_HASH_LABEL] === hash;
    if (isNew && !oldestNew) oldestNew = pod;
    else if (!isNew && !oldestOld) oldestOld = pod;
    else plan.delete.push(pod.metadata.name);
  }
  const minReady = ds.spec?.minReadySeconds ?? 0;
  if (oldestNew && oldestOld && (!isPodReady(oldestOld) || isPodAvailable(oldestNew, minReady, nowMs)))
    plan.delete.push(oldestOld.metadata.name);
  return plan;
}

/** The one new and one old pod on a node; undefined when there are duplicates (findUpdatedPodsOnNode). */
function updatedPodsOnNode(
  pods: KObj[],
  hash: string,
  generation: string | undefined,
): { newPod?: KObj; oldPod?: KObj } | undefined {
  let newPod: KObj | undefined;
  let oldPod: KObj | undefined;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    if (isPodUpdated(pod, hash, generation)) {
      if (newPod) return undefined;
      newPod = pod;
    } else {
      if (oldPod) return undefined;
      oldPod = pod;
    }
  }
  return { newPod, oldPod };
}

/**
 * One step of a RollingUpdate (update.go rollingUpdate): the old pods to delete now and, when
 * surging, the nodes to give a new pod next to the old one. `byNode` holds every node that should
 * run a pod (with [] when it has none yet), in a stable order.
 */
export function rollingUpdateStep(
  ds: KObj,
  nodes: readonly KObj[],
  byNode: Map<string, KObj[]>,
  hash: string,
  nowMs: number,
): { deletePods: string[]; createOn: string[] } {
  const generation = ds.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const available = (p: KObj): boolean => isPodAvailable(p, minReady, nowMs);
  const wanted = new Map<string, KObj[] | undefined>();
  let desired = 0;
  for (const node of nodes) {
    if (nodeShouldRunDaemonPod(node, ds)[0]) {
      desired++;
      wanted.set(node.metadata.name, byNode.get(node.metadata.name) ?? []);
    }
  }
  for (const [name, pods] of byNode) if (!wanted.has(name)) wanted.set(name, pods);
  const maxSurge = maxSurgeOf(ds, desired);
  let maxUnavailable = maxUnavailableOf(ds, desired);
  if (desired > 0 && maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  const entries = [...wanted].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  if (maxSurge === 0) {
    let numUnavailable = 0;
    const allowed: string[] = [];
    const candidates: string[] = [];
    for (const [, pods] of entries) {
      const found = updatedPodsOnNode(pods ?? [], hash, generation);
      if (!found) {
        numUnavailable++;
        continue;
      }
      const { newPod, oldPod } = found;
      if ((!newPod && !oldPod) || (newPod && oldPod)) numUnavailable++;
      else if (newPod) {
        if (!available(newPod)) numUnavailable++;
      } else if (!available(oldPod!)) {
        allowed.push(oldPod!.metadata.name);
        numUnavailable++;
      } else if (numUnavailable < maxUnavailable) candidates.push(oldPod!.metadata.name);
    }
    const remaining = Math.min(Math.max(0, maxUnavailable - numUnavailable), candidates.length);
    return { deletePods: [...allowed, ...candidates.slice(0, remaining)], createOn: [] };
  }

  let numSurge = 0;
  const deletePods: string[] = [];
  const allowedNodes: string[] = [];
  const candidateNodes: string[] = [];
  for (const [nodeName, pods] of entries) {
    const found = updatedPodsOnNode(pods ?? [], hash, generation);
    if (!found) {
      numSurge++;
      continue;
    }
    const { newPod, oldPod } = found;
    if (!oldPod) continue;
    if (!newPod) {
      const node = nodes.find((n) => n.metadata.name === nodeName);
      if (!available(oldPod)) {
        if (!node || !nodeShouldRunDaemonPod(node, ds)[0]) deletePods.push(oldPod.metadata.name);
        else allowedNodes.push(nodeName);
      } else if (numSurge < maxSurge) candidateNodes.push(nodeName);
    } else if (!available(newPod)) numSurge++;
    else deletePods.push(oldPod.metadata.name);
  }
  const remaining = Math.min(Math.max(0, maxSurge - numSurge), candidateNodes.length);
  return { deletePods, createOn: [...allowedNodes, ...candidateNodes.slice(0, remaining)] };
}

/** The status counts (updateDaemonSetStatus): desired, current, misscheduled, ready, updated, available, unavailable. */
export function daemonSetCounts(
  ds: KObj,
  nodes: readonly KObj[],
  byNode: Map<string, KObj[]>,
  hash: string,
  nowMs: number,
): KObj {
  const generation = ds.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const c = {
    desiredNumberScheduled: 0,
    currentNumberScheduled: 0,
    numberMisscheduled: 0,
    numberReady: 0,
    updatedNumberScheduled: 0,
    numberAvailable: 0,
    numberUnavailable: 0,
  };
  for (const node of nodes) {
    const [shouldRun] = nodeShouldRunDaemonPod(node, ds);
    const pods = byNode.get(node.metadata.name) ?? [];
    if (!shouldRun) {
      if (pods.length) c.numberMisscheduled++;
      continue;
    }
    c.desiredNumberScheduled++;
    if (!pods.length) continue;
    c.currentNumberScheduled++;
    const pod = [...pods].sort(daemonPodOrder)[0]!;
    if (isPodReady(pod)) {
      c.numberReady++;
      if (isPodAvailable(pod, minReady, nowMs)) c.numberAvailable++;
    }
    if (isPodUpdated(pod, hash, generation)) c.updatedNumberScheduled++;
  }
  c.numberUnavailable = c.desiredNumberScheduled - c.numberAvailable;
  return c;
}
