/**
 * The node predicates the scheduler's filter plugins and the DaemonSet controller share:
 * taints and tolerations (core/v1 Toleration.ToleratesTaint), required node affinity with the
 * nodeSelector (component-helpers nodeaffinity), host ports (the NodePorts plugin), and the
 * unschedulable flag (NodeUnschedulable). Pure functions of pod and node objects.
 */
import {
  matchesLabels,
  type LabelOperator,
  type LabelRequirement,
} from '../../../apiserver/selectors/index.js';
import type { KObj } from '../client/client.js';

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

/** Does one toleration tolerate one taint. */
export function tolerates(t: KObj, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? 'Equal') {
    case 'Exists':
      return true;
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}

/** The first taint `filter` selects that no toleration tolerates (v1helper.FindMatchingUntoleratedTaint). */
export function untoleratedTaint(
  taints: readonly Taint[] | undefined,
  tolerations: readonly KObj[] | undefined,
  filter: (t: Taint) => boolean,
): Taint | undefined {
  return (taints ?? []).filter(filter).find((taint) => !(tolerations ?? []).some((t) => tolerates(t, taint)));
}

const NODE_OPERATORS: Record<string, LabelOperator> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
  Gt: 'gt',
  Lt: 'lt',
};

function labelRequirement(e: KObj): LabelRequirement | undefined {
  const operator = NODE_OPERATORS[e.operator];
  return operator ? { key: e.key, operator, values: [...(e.values ?? [])] } : undefined;
}

/** One NodeSelectorTerm: all its label expressions and field expressions (only metadata.name exists). An empty term matches nothing. */
function termMatches(term: KObj, node: KObj): boolean {
  const exprs: KObj[] = term.matchExpressions ?? [];
  const fields: KObj[] = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const reqs = exprs.map(labelRequirement);
  if (reqs.some((r) => !r)) return false;
  if (!matchesLabels({ requirements: reqs as LabelRequirement[] }, node.metadata?.labels ?? {})) return false;
  return fields.every((f) => {
    if (f.key !== 'metadata.name') return false;
    const values: string[] = f.values ?? [];
    if (f.operator === 'In') return values.includes(node.metadata?.name);
    if (f.operator === 'NotIn') return !values.includes(node.metadata?.name);
    return false;
  });
}

/** spec.nodeSelector and requiredDuringSchedulingIgnoredDuringExecution both hold (nodeaffinity.GetRequiredNodeAffinity(pod).Match). */
export function requiredNodeAffinityMatches(pod: KObj, node: KObj): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  return (required.nodeSelectorTerms ?? []).some((t: KObj) => termMatches(t, node));
}

export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

/** The host ports a pod takes (a hostNetwork pod's container ports are host ports). */
export function hostPortsOf(pod: KObj): HostPort[] {
  const out: HostPort[] = [];
  for (const c of [
    ...(pod.spec?.initContainers ?? []).filter((c: KObj) => c.restartPolicy === 'Always'),
    ...(pod.spec?.containers ?? []),
  ]) {
    for (const p of c.ports ?? []) {
      const port = p.hostPort || (pod.spec?.hostNetwork ? p.containerPort : 0);
      if (port > 0) out.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port });
    }
  }
  return out;
}

/** Two host ports clash: same protocol and port, and the same address or either on every address. */
export function portsConflict(a: HostPort, b: HostPort): boolean {
  if (a.protocol !== b.protocol || a.port !== b.port) return false;
  return a.ip === b.ip || a.ip === '0.0.0.0' || b.ip === '0.0.0.0';
}

/** The pod's host ports clash with those of pods already on the node. */
export function hostPortsFit(pod: KObj, podsOnNode: readonly KObj[]): boolean {
  const wanted = hostPortsOf(pod);
  if (wanted.length === 0) return true;
  const used = podsOnNode.flatMap(hostPortsOf);
  return !wanted.some((w) => used.some((u) => portsConflict(w, u)));
}

/** spec.unschedulable, unless the pod tolerates node.kubernetes.io/unschedulable:NoSchedule. */
export function unschedulableBlocks(pod: KObj, node: KObj): boolean {
  if (!node.spec?.unschedulable) return false;
  return !(pod.spec?.tolerations ?? []).some((t: KObj) =>
    tolerates(t, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }),
  );
}
