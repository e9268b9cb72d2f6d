/**
 * The self-hosted control plane as the API shows it, judged: for every master (render's
 * control-plane label), the pods of the four components on it — self-hosted pods, and the mirror
 * pods of the checkpoints the pod checkpointer activated — and the DaemonSets and Deployments that
 * own them. Pure: it reads the lists it is given and says what is wrong.
 *
 * Checkpoints (DESIGN §6): an active checkpoint shows as a mirror pod with the `checkpoint-of`
 * annotation. The checkpointer's own is always active (`self`); another is `standing-in` while its
 * parent does not run on the node (after a reboot, until the self-hosted pod is back), and `stale`
 * when the parent — or a pod of the same controller — runs there and the checkpoint was not
 * deactivated (the checkpointer is down or stuck).
 */
import type { V1DaemonSet, V1Deployment, V1Node, V1Pod } from '@kubernetes/client-node';
import { ANNOTATIONS, LABELS } from '../render/constants.js';

/** The components `status` reports on, by their `k8s-app` label (render's names). */
export const COMPONENTS = ['kube-apiserver', 'kube-scheduler', 'kube-controller-manager', 'pod-checkpointer'];
/** Older clusters label masters so; render uses LABELS.controlPlaneRole. */
const LEGACY_MASTER_LABEL = 'node-role.kubernetes.io/master';
const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
const CONTROLLER_ANNOTATION = 'checkpointer.alpha.coreos.com/checkpoint-controller';

export type CheckpointState = 'self' | 'standing-in' | 'stale';

export interface PodStatus {
  name: string;
  component: string;
  node?: string;
  /** `self-hosted` (a DaemonSet's or Deployment's pod), `checkpoint` (an active checkpoint's mirror pod), `static` (another static pod). */
  kind: 'self-hosted' | 'checkpoint' | 'static';
  ready: boolean;
  /** Ready containers of all, as kubectl's READY column. */
  containers: { ready: number; total: number };
  restarts: number;
  /** kubectl's STATUS column: the phase, or a container's waiting/terminated reason, or Terminating. */
  status: string;
  checkpoint?: { of: string; state: CheckpointState };
}

export interface MasterStatus {
  name: string;
  ready: boolean;
  /** The Ready condition's reason when not ready. */
  reason?: string;
  pods: PodStatus[];
}

export interface WorkloadStatus {
  kind: 'DaemonSet' | 'Deployment';
  name: string;
  desired: number;
  ready: number;
  updated: number;
  available: number;
}

export interface ControlPlaneStatus {
  masters: MasterStatus[];
  /** Control-plane pods bound to no master (pending, or on another node). */
  elsewhere: PodStatus[];
  workloads: WorkloadStatus[];
  problems: string[];
  warnings: string[];
}

export interface ControlPlaneObjects {
  nodes: V1Node[];
  pods: V1Pod[];
  daemonSets: V1DaemonSet[];
  deployments: V1Deployment[];
}

export function isMaster(node: V1Node): boolean {
  const labels = node.metadata?.labels ?? {};
  return LABELS.controlPlaneRole in labels || LEGACY_MASTER_LABEL in labels;
}

/** Judges the control plane from the objects the API listed. */
export function assessControlPlane(o: ControlPlaneObjects): ControlPlaneStatus {
  const problems: string[] = [];
  const warnings: string[] = [];
  const masterNodes = o.nodes.filter(isMaster).sort(byName);
  if (masterNodes.length === 0)
    problems.push(`no node is a master: none has the label ${LABELS.controlPlaneRole}`);
  const pods = o.pods.filter((p) => COMPONENTS.includes(p.metadata?.labels?.[LABELS.app] ?? ''));
  const statuses = pods.map((p) => podStatus(p, pods)).sort((a, b) => a.name.localeCompare(b.name));
  const order = (p: PodStatus) =>
    COMPONENTS.indexOf(p.component) * 3 + ['self-hosted', 'checkpoint', 'static'].indexOf(p.kind);

  const masters: MasterStatus[] = masterNodes.map((node) => {
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    const name = node.metadata!.name!;
    const mine = statuses.filter((p) => p.node === name).sort((a, b) => order(a) - order(b));
    if (ready?.status !== 'True')
      problems.push(`master ${name} is not Ready${ready?.reason ? ` (${ready.reason})` : ''}`);
    return {
      name,
      ready: ready?.status === 'True',
      ...(ready?.status !== 'True' && ready?.reason ? { reason: ready.reason } : {}),
      pods: mine,
    };
  });
  const names = new Set(masters.map((m) => m.name));
  const elsewhere = statuses.filter((p) => !p.node || !names.has(p.node));

  const workloads: WorkloadStatus[] = [];
  for (const component of COMPONENTS) {
    const ds = o.daemonSets.find((d) => d.metadata?.name === component);
    const deploy = o.deployments.find((d) => d.metadata?.name === component);
    const selfHosted = statuses.filter((p) => p.component === component && p.kind === 'self-hosted');
    const notReady = selfHosted.filter((p) => !p.ready);
    const detail = (list: PodStatus[], node = true) =>
      list.map((p) => `${p.name}${node && p.node ? ` on ${p.node}` : ''}: ${describe(p)}`).join('; ');
    if (ds) {
      const w = daemonSetStatus(ds);
      workloads.push(w);
      for (const m of masters) {
        const own = selfHosted.filter((p) => p.node === m.name);
        if (own.some((p) => p.ready && p.status !== 'Terminating')) continue;
        const standIn = m.pods.find(
          (p) => p.component === component && p.checkpoint?.state === 'standing-in',
        );
        problems.push(
          own.length === 0
            ? `${component} on ${m.name}: no pod of daemonset/${component}${standIn ? ` (its checkpoint ${standIn.name} stands in)` : ''}`
            : `${component} on ${m.name} is not ready: ${detail(own, false)}`,
        );
      }
      if (w.updated < w.desired)
        warnings.push(`daemonset/${component} is rolling out: ${w.updated} of ${w.desired} updated`);
    } else if (deploy) {
      const w = deploymentStatus(deploy);
      workloads.push(w);
      if (w.available < w.desired || notReady.length > 0) {
        problems.push(
          `${component}: ${w.available} of ${w.desired} available${notReady.length ? ` (${detail(notReady)})` : ''}`,
        );
      }
      if (w.updated < w.desired)
        warnings.push(`deployment/${component} is rolling out: ${w.updated} of ${w.desired} updated`);
    } else {
      problems.push(`${component}: kube-system has no DaemonSet or Deployment of that name`);
    }
  }

  for (const p of statuses) {
    if (p.checkpoint?.state === 'stale')
      problems.push(
        `checkpoint ${p.name} on ${p.node} is stale: ${p.checkpoint.of} (or a pod of its controller) runs there, yet the checkpoint is still active; is the pod checkpointer running?`,
      );
    else if (p.checkpoint?.state === 'standing-in')
      problems.push(
        `${p.component} on ${p.node} runs from its checkpoint ${p.name}: the self-hosted pod ${p.checkpoint.of} does not run there`,
      );
  }
  for (const p of elsewhere.filter((x) => x.kind === 'self-hosted'))
    problems.push(
      `${p.name}${p.node ? ` runs on ${p.node}, which is not a master` : ' is bound to no node'}: ${describe(p)}`,
    );
  return { masters, elsewhere, workloads, problems: dedupe(problems), warnings };
}

function podStatus(pod: V1Pod, all: V1Pod[]): PodStatus {
  const annotations = pod.metadata?.annotations ?? {};
  const component = pod.metadata?.labels?.[LABELS.app] ?? '';
  const cs = pod.status?.containerStatuses ?? [];
  const total = pod.spec?.containers?.length ?? cs.length;
  const mirror = MIRROR_ANNOTATION in annotations;
  const of = annotations[ANNOTATIONS.checkpointOf];
  const status: PodStatus = {
    name: pod.metadata?.name ?? '',
    component,
    ...(pod.spec?.nodeName ? { node: pod.spec.nodeName } : {}),
    kind: of !== undefined ? 'checkpoint' : mirror ? 'static' : 'self-hosted',
    ready: pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    containers: { ready: cs.filter((c) => c.ready).length, total },
    restarts: cs.reduce((n, c) => n + (c.restartCount ?? 0), 0),
    status: kubectlStatus(pod),
  };
  if (of !== undefined) status.checkpoint = { of, state: checkpointState(pod, of, all) };
  return status;
}

function checkpointState(mirror: V1Pod, of: string, all: V1Pod[]): CheckpointState {
  if (mirror.metadata?.labels?.[LABELS.app] === 'pod-checkpointer') return 'self';
  const node = mirror.spec?.nodeName;
  const controller = mirror.metadata?.annotations?.[CONTROLLER_ANNOTATION]?.split('/');
  const runs = all.some((p) => {
    if (p.spec?.nodeName !== node || p.metadata?.deletionTimestamp || p.status?.phase !== 'Running')
      return false;
    if (MIRROR_ANNOTATION in (p.metadata?.annotations ?? {})) return false;
    if (p.metadata?.name === of) return true;
    const owner = p.metadata?.ownerReferences?.find((r) => r.controller);
    return !!controller && !!owner && owner.kind === controller[0] && owner.name === controller[1];
  });
  return runs ? 'stale' : 'standing-in';
}

/** kubectl get pods' STATUS: Terminating, else a failing init container (Init:…), a container's waiting or terminated reason, else the phase. */
function kubectlStatus(pod: V1Pod): string {
  if (pod.metadata?.deletionTimestamp) return 'Terminating';
  for (const c of pod.status?.initContainerStatuses ?? []) {
    const t = c.state?.terminated;
    if (t && t.exitCode !== 0) return `Init:${t.reason ?? 'Error'}`;
    const w = c.state?.waiting?.reason;
    if (w && w !== 'PodInitializing') return `Init:${w}`;
  }
  for (const c of pod.status?.containerStatuses ?? []) {
    const reason = c.state?.waiting?.reason ?? c.state?.terminated?.reason;
    if (reason) return reason;
  }
  return pod.status?.phase ?? 'Unknown';
}

function describe(p: PodStatus): string {
  const ready = `${p.containers.ready}/${p.containers.total} ready`;
  return `${p.status}, ${ready}${p.restarts ? `, ${p.restarts} restart${p.restarts === 1 ? '' : 's'}` : ''}`;
}

function daemonSetStatus(ds: V1DaemonSet): WorkloadStatus {
  const s = ds.status;
  return {
    kind: 'DaemonSet',
    name: ds.metadata!.name!,
    desired: s?.desiredNumberScheduled ?? 0,
    ready: s?.numberReady ?? 0,
    updated: s?.updatedNumberScheduled ?? 0,
    available: s?.numberAvailable ?? 0,
  };
}

function deploymentStatus(d: V1Deployment): WorkloadStatus {
  const s = d.status;
  return {
    kind: 'Deployment',
    name: d.metadata!.name!,
    desired: d.spec?.replicas ?? 1,
    ready: s?.readyReplicas ?? 0,
    updated: s?.updatedReplicas ?? 0,
    available: s?.availableReplicas ?? 0,
  };
}

const byName = (a: V1Node, b: V1Node) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
const dedupe = (list: string[]) => [...new Set(list)];
