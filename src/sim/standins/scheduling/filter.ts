/**
 * One scheduling decision as a pure function (the default profile's filter plugins in their order,
 * each node stopping at its first failure, then a score): NodeUnschedulable, NodeName,
 * TaintToleration (NoSchedule and NoExecute), NodeAffinity (nodeSelector and required affinity,
 * incl. matchFields metadata.name), NodePorts, NodeResourcesFit (pod count, cpu, memory). Among
 * the feasible nodes the one with the fewest pods wins, ties to the first name: a stand-in for
 * LeastAllocated and spreading that is deterministic for tests.
 */
import { parseQuantity } from '../../../apiserver/registry/quantity.js';
import type { KObj } from '../client/client.js';
import {
  hostPortsFit,
  requiredNodeAffinityMatches,
  unschedulableBlocks,
  untoleratedTaint,
} from './predicates.js';

export type FilterResult = { ok: true } | { ok: false; reason: string };

/** Requests of a pod as the resource fit sees them: the largest init container or the sum of the app containers. */
function requests(pod: KObj, resource: string): bigint {
  const of = (c: KObj): bigint => parseQuantity(c.resources?.requests?.[resource]) ?? 0n;
  const sum = (pod.spec?.containers ?? []).reduce((s: bigint, c: KObj) => s + of(c), 0n);
  const init = (pod.spec?.initContainers ?? []).reduce((m: bigint, c: KObj) => (of(c) > m ? of(c) : m), 0n);
  const overhead = parseQuantity(pod.spec?.overhead?.[resource]) ?? 0n;
  return (sum > init ? sum : init) + overhead;
}

/** Why `node` cannot take `pod` given the pods already on it, or ok. */
export function filterNode(pod: KObj, node: KObj, podsOnNode: readonly KObj[]): FilterResult {
  if (unschedulableBlocks(pod, node)) return { ok: false, reason: 'node(s) were unschedulable' };
  if (pod.spec?.nodeName && pod.spec.nodeName !== node.metadata?.name)
    return { ok: false, reason: "node(s) didn't match the requested node name" };
  const taint = untoleratedTaint(
    node.spec?.taints,
    pod.spec?.tolerations,
    (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute',
  );
  if (taint)
    return { ok: false, reason: `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}` };
  if (!requiredNodeAffinityMatches(pod, node))
    return { ok: false, reason: "node(s) didn't match Pod's node affinity/selector" };
  if (!hostPortsFit(pod, podsOnNode))
    return { ok: false, reason: "node(s) didn't have free ports for the requested pod ports" };
  const allocatable = node.status?.allocatable ?? {};
  const maxPods = parseQuantity(allocatable.pods);
  if (maxPods !== undefined && BigInt(podsOnNode.length + 1) * 1_000_000_000n > maxPods)
    return { ok: false, reason: 'Too many pods' };
  for (const resource of ['cpu', 'memory']) {
    const want = requests(pod, resource);
    const have = parseQuantity(allocatable[resource]);
    if (want === 0n || have === undefined) continue;
    const used = podsOnNode.reduce((s, p) => s + requests(p, resource), 0n);
    if (used + want > have) return { ok: false, reason: `Insufficient ${resource}` };
  }
  return { ok: true };
}

export type Decision = { node: string } | { node?: undefined; message: string };

/** Picks the node for `pod`, or says why none fits in the scheduler's FailedScheduling words. */
export function schedule(
  pod: KObj,
  nodes: readonly KObj[],
  podsByNode: ReadonlyMap<string, readonly KObj[]>,
): Decision {
  const feasible: KObj[] = [];
  const reasons = new Map<string, number>();
  for (const node of nodes) {
    const r = filterNode(pod, node, podsByNode.get(node.metadata.name) ?? []);
    if (r.ok) feasible.push(node);
    else reasons.set(r.reason, (reasons.get(r.reason) ?? 0) + 1);
  }
  if (feasible.length === 0) {
    const n = nodes.length;
    if (n === 0) return { message: 'no nodes available to schedule pods' };
    const parts = [...reasons].map(([reason, count]) => `${count} ${reason}`).sort();
    return {
      message: `0/${n} nodes are available: ${parts.join(', ')}. preemption: 0/${n} nodes are available: ${n} Preemption is not helpful for scheduling.`,
    };
  }
  const count = (node: KObj): number => podsByNode.get(node.metadata.name)?.length ?? 0;
  feasible.sort((a, b) => count(a) - count(b) || (a.metadata.name < b.metadata.name ? -1 : 1));
  return { node: feasible[0]!.metadata.name };
}
