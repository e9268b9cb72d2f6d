/**
 * The ReplicaSet controller (k/k pkg/controller/replicaset): keeps spec.replicas active pods
 * that the set owns (adopting orphans its selector matches, releasing pods that stopped matching),
 * creates in slow-start batches, deletes the least valuable pods first, and reports
 * replicas/fullyLabeled/ready/available and observedGeneration in status.
 */
import { labelSelectorFromObject } from '../../../apiserver/selectors/index.js';
import type { KObj } from '../client/client.js';
import { keyOf } from '../client/informer.js';
import { isApiStatus } from '../errors.js';
import {
  inNamespace,
  objectPath,
  omitZero,
  podPath,
  slowStartBatch,
  writeStatus,
  type Controller,
  type ControllerContext,
  selectingControllers,
} from './context.js';
import { Expectations } from './expectations.js';
import {
  controllerOf,
  controllerRef,
  isPodActive,
  isPodAvailable,
  isPodReady,
  podFromTemplate,
  resolveControllerRef,
} from './pods.js';
import { claim } from './ref-manager.js';
import { WorkQueue } from './queue.js';

const BURST_REPLICAS = 500;
const COMPONENT = 'replicaset-controller';

export class ReplicaSetController implements Controller {
  readonly name = 'replicaset';
  private readonly queue = new WorkQueue();
  private readonly expectations: Expectations;

  constructor(private readonly ctx: ControllerContext) {
    this.expectations = new Expectations(ctx.now);
    const { replicaSets, pods } = ctx.informers;
    replicaSets.addHandler({
      add: (rs) => this.queue.add(keyOf(rs)),
      update: (_, rs) => this.queue.add(keyOf(rs)),
      delete: (rs) => {
        this.expectations.delete(keyOf(rs));
        this.queue.add(keyOf(rs));
      },
    });
    pods.addHandler({
      add: (pod) => {
        const rs = this.ownerOf(pod);
        if (rs && !pod.metadata.deletionTimestamp) this.expectations.creationObserved(keyOf(rs));
        this.enqueueFor(pod);
      },
      update: (old, pod) => {
        if (pod.metadata.deletionTimestamp && !old.metadata.deletionTimestamp) this.observeDeletion(pod);
        const oldOwner = this.ownerOf(old);
        if (oldOwner && oldOwner !== this.ownerOf(pod)) this.queue.add(keyOf(oldOwner));
        this.enqueueFor(pod);
        // A pod that just became ready becomes available minReadySeconds later: look again then.
        const rs = this.ownerOf(pod);
        if (rs && !isPodReady(old) && isPodReady(pod) && rs.spec?.minReadySeconds > 0) {
          this.queue.addAfter(keyOf(rs), rs.spec.minReadySeconds * 1000 + 1);
        }
      },
      delete: (pod) => {
        this.observeDeletion(pod);
        this.enqueueFor(pod);
      },
    });
  }

  run(signal: AbortSignal): Promise<void> {
    for (const rs of this.ctx.informers.replicaSets.list()) this.queue.add(keyOf(rs));
    return this.queue.run(signal, 2, (key) => this.sync(key), this.ctx.log);
  }

  /** The ReplicaSet a pod's controller reference names, if it exists with that UID. */
  private ownerOf(pod: KObj): KObj | undefined {
    return resolveControllerRef(pod, 'ReplicaSet', this.ctx.informers.replicaSets);
  }

  private observeDeletion(pod: KObj): void {
    const rs = this.ownerOf(pod);
    if (rs) this.expectations.deletionObserved(keyOf(rs), keyOf(pod));
  }

  /** The owner of a controlled pod; for an orphan, every set whose selector matches it (one may adopt it). */
  private enqueueFor(pod: KObj): void {
    if (controllerOf(pod)) {
      const rs = this.ownerOf(pod);
      if (rs) this.queue.add(keyOf(rs));
      return;
    }
    for (const rs of selectingControllers(this.ctx.informers.replicaSets, pod)) this.queue.add(keyOf(rs));
  }

  private async sync(key: string): Promise<void> {
    const rs = this.ctx.informers.replicaSets.get(key);
    if (!rs) {
      this.expectations.delete(key);
      return;
    }
    const selector = labelSelectorFromObject(rs.spec?.selector);
    if (!selector) return;
    const needsSync = this.expectations.satisfied(key) && !rs.metadata.deletionTimestamp;
    const active = inNamespace(this.ctx.informers.pods, rs.metadata.namespace).filter(isPodActive);
    const path = objectPath('apps/v1', 'replicasets', rs.metadata.namespace, rs.metadata.name);
    const pods = await claim(active, {
      client: this.ctx.client,
      owner: rs,
      ownerApiVersion: 'apps/v1',
      ownerKind: 'ReplicaSet',
      selector,
      pathOf: podPath,
      recheckOwner: () => this.ctx.client.get(path).catch(() => undefined),
      signal: this.ctx.signal,
    });
    let manageError: Error | undefined;
    if (needsSync)
      manageError = await this.manage(rs, key, pods).then(
        () => undefined,
        (e: Error) => e,
      );
    const status = replicaSetStatus(rs, pods, this.ctx.now());
    if (!sameStatus(rs.status, status)) await writeStatus(this.ctx.client, path, rs, status, this.ctx.signal);
    if (manageError) throw manageError;
    const minReady = rs.spec?.minReadySeconds ?? 0;
    if (
      minReady > 0 &&
      status.readyReplicas === rs.spec?.replicas &&
      status.availableReplicas !== rs.spec?.replicas
    ) {
      this.queue.addAfter(key, minReady * 1000);
    }
  }

  private async manage(rs: KObj, key: string, pods: KObj[]): Promise<void> {
    const recorder = this.ctx.recorder(COMPONENT);
    const diff = pods.length - (rs.spec?.replicas ?? 1);
    if (diff < 0) {
      const want = Math.min(-diff, BURST_REPLICAS);
      this.expectations.set(key, want);
      const ref = controllerRef(rs, 'apps/v1', 'ReplicaSet');
      const { successes, errors } = await slowStartBatch(want, async () => {
        const created = await this.ctx.client.create(
          objectPath('v1', 'pods', rs.metadata.namespace),
          podFromTemplate(rs.spec.template, rs, ref),
          this.ctx.signal,
        );
        recorder.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
      });
      this.expectations.lowerCreations(key, want - successes);
      for (const e of errors) recorder.event(rs, 'Warning', 'FailedCreate', `Error creating: ${e.message}`);
      if (errors.length) throw errors[0];
    } else if (diff > 0) {
      const victims = podsToDelete(pods, Math.min(diff, BURST_REPLICAS), this.ctx.now());
      this.expectations.set(key, 0, victims.map(keyOf));
      const results = await Promise.allSettled(
        victims.map(async (pod) => {
          try {
            await this.ctx.client.delete(podPath(pod), undefined, this.ctx.signal);
            recorder.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
          } catch (err) {
            this.expectations.deletionObserved(key, keyOf(pod));
            if (isApiStatus(err, 404)) return;
            recorder.event(rs, 'Warning', 'FailedDelete', `Error deleting: ${(err as Error).message}`);
            throw err;
          }
        }),
      );
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    }
  }
}

/** The status a ReplicaSet should have with these (claimed, active) pods (calculateStatus). */
export function replicaSetStatus(rs: KObj, pods: KObj[], nowMs: number): KObj {
  const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
  const fullyLabeled = pods.filter((p) =>
    Object.entries(templateLabels).every(([k, v]) => p.metadata?.labels?.[k] === v),
  ).length;
  const minReady = rs.spec?.minReadySeconds ?? 0;
  const status: KObj = {
    replicas: pods.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: pods.filter(isPodReady).length,
    availableReplicas: pods.filter((p) => isPodAvailable(p, minReady, nowMs)).length,
    observedGeneration: rs.metadata?.generation,
  };
  if (rs.status?.conditions?.length) status.conditions = rs.status.conditions;
  return omitZero(status, ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas']);
}

function sameStatus(a: KObj | undefined, b: KObj): boolean {
  const keys = [
    'replicas',
    'fullyLabeledReplicas',
    'readyReplicas',
    'availableReplicas',
    'observedGeneration',
  ];
  return keys.every((k) => (a?.[k] ?? 0) === (b[k] ?? 0));
}

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/**
 * The `n` pods to delete first (controller.ActivePodsWithRanks): unscheduled before scheduled,
 * pending before running, not ready before ready, doubled up on a node before alone, ready for
 * less time before longer, more restarts before fewer, newer before older.
 */
export function podsToDelete(pods: KObj[], n: number, nowMs: number): KObj[] {
  const perNode = new Map<string, number>();
  for (const p of pods)
    if (p.spec?.nodeName) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
  const readySince = (p: KObj): number => {
    const c = (p.status?.conditions ?? []).find((x: KObj) => x.type === 'Ready' && x.status === 'True');
    return c ? Date.parse(c.lastTransitionTime ?? '') || nowMs : nowMs;
  };
  const restarts = (p: KObj): number =>
    (p.status?.containerStatuses ?? []).reduce((s: number, c: KObj) => s + (c.restartCount ?? 0), 0);
  const cmp = (a: KObj, b: KObj): number => {
    const assignedA = a.spec?.nodeName ? 1 : 0;
    const assignedB = b.spec?.nodeName ? 1 : 0;
    if (assignedA !== assignedB) return assignedA - assignedB;
    const phaseA = PHASE_RANK[a.status?.phase ?? 'Pending'] ?? 0;
    const phaseB = PHASE_RANK[b.status?.phase ?? 'Pending'] ?? 0;
    if (phaseA !== phaseB) return phaseA - phaseB;
    const readyA = isPodReady(a) ? 1 : 0;
    const readyB = isPodReady(b) ? 1 : 0;
    if (readyA !== readyB) return readyA - readyB;
    const rankA = perNode.get(a.spec?.nodeName) ?? 0;
    const rankB = perNode.get(b.spec?.nodeName) ?? 0;
    if (rankA !== rankB) return rankB - rankA;
    if (readyA && readyB && readySince(a) !== readySince(b)) return readySince(b) - readySince(a);
    if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
    const ca = a.metadata?.creationTimestamp ?? '';
    const cb = b.metadata?.creationTimestamp ?? '';
    return ca === cb ? 0 : ca > cb ? -1 : 1;
  };
  return [...pods].sort(cmp).slice(0, n);
}
