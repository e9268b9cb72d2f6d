/**
 * The Deployment controller (k/k pkg/controller/deployment): a Deployment owns ReplicaSets, one per
 * pod template (named `<deployment>-<pod-template-hash>`, the hash also in its selector and pod
 * labels, so the sets never fight over pods). RollingUpdate grows the new set within maxSurge and
 * shrinks old ones within maxUnavailable; Recreate empties the old sets before the new one grows;
 * a change of spec.replicas mid-rollout is spread proportionally. Status and the Available and
 * Progressing conditions are kept as kube-controller-manager keeps them.
 */
import {
  labelSelectorFromObject,
  matchesLabels,
  type LabelSelector,
} from '../../../apiserver/selectors/index.js';
import type { KObj } from '../client/client.js';
import { keyOf } from '../client/informer.js';
import { inNamespace, objectPath, type Controller, type ControllerContext } from './context.js';
import * as logic from './deployment-logic.js';
import { DeploymentReplicaSets } from './deployment-replicasets.js';
import { controllerOf, resolveControllerRef } from './pods.js';
import { claim } from './ref-manager.js';
import { WorkQueue } from './queue.js';

const COMPONENT = 'deployment-controller';
const rsPath = (ns: string, name?: string): string => objectPath('apps/v1', 'replicasets', ns, name);
const dPath = (d: KObj): string =>
  objectPath('apps/v1', 'deployments', d.metadata.namespace, d.metadata.name);
const seconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export class DeploymentController implements Controller {
  readonly name = 'deployment';
  private readonly queue = new WorkQueue();
  private readonly sets: DeploymentReplicaSets;

  constructor(private readonly ctx: ControllerContext) {
    this.sets = new DeploymentReplicaSets(ctx);
    const { deployments, replicaSets, pods } = ctx.informers;
    deployments.addHandler({
      add: (d) => this.queue.add(keyOf(d)),
      update: (_, d) => this.queue.add(keyOf(d)),
      delete: (d) => this.queue.add(keyOf(d)),
    });
    replicaSets.addHandler({
      add: (rs) => this.enqueueFor(rs),
      update: (old, rs) => {
        this.enqueueFor(old);
        this.enqueueFor(rs);
      },
      delete: (rs) => this.enqueueFor(rs),
    });
    // Recreate waits for the old pods to be gone, so their deletion is news.
    pods.addHandler({
      delete: (pod) => {
        const ref = controllerOf(pod);
        const rs =
          ref?.kind === 'ReplicaSet' ? replicaSets.get(`${pod.metadata.namespace}/${ref.name}`) : undefined;
        const d = rs && this.ownerOf(rs);
        if (d?.spec?.strategy?.type === 'Recreate') this.queue.add(keyOf(d));
      },
    });
  }

  run(signal: AbortSignal): Promise<void> {
    for (const d of this.ctx.informers.deployments.list()) this.queue.add(keyOf(d));
    return this.queue.run(signal, 2, (key) => this.sync(key), this.ctx.log);
  }

  private ownerOf(rs: KObj): KObj | undefined {
    return resolveControllerRef(rs, 'Deployment', this.ctx.informers.deployments);
  }

  private enqueueFor(rs: KObj): void {
    if (controllerOf(rs)) {
      const d = this.ownerOf(rs);
      if (d) this.queue.add(keyOf(d));
      return;
    }
    for (const d of inNamespace(this.ctx.informers.deployments, rs.metadata.namespace)) {
      const sel = labelSelectorFromObject(d.spec?.selector);
      if (sel && sel.requirements.length && matchesLabels(sel, rs.metadata.labels)) this.queue.add(keyOf(d));
    }
  }

  private async sync(key: string): Promise<void> {
    const cached = this.ctx.informers.deployments.get(key);
    if (!cached) return;
    // Worked on as a copy: the sync writes revision annotations and conditions into it as it goes.
    const d = structuredClone(cached);
    const selector = labelSelectorFromObject(d.spec?.selector);
    if (!selector || selector.requirements.length === 0) {
      this.ctx
        .recorder(COMPONENT)
        .event(
          d,
          'Warning',
          'SelectingAll',
          'This deployment is selecting all pods. A non-empty selector is required.',
        );
      if ((d.status?.observedGeneration ?? 0) < d.metadata.generation)
        await this.sets.writeStatus(d, { ...d.status, observedGeneration: d.metadata.generation });
      return;
    }
    const rsList = await this.claimReplicaSets(d, selector);
    if (d.metadata.deletionTimestamp || d.spec?.paused || this.isScalingEvent(d, rsList))
      return this.syncScale(d, rsList);
    if (d.spec?.strategy?.type === 'Recreate') return this.rolloutRecreate(d, rsList);
    return this.rolloutRolling(d, rsList);
  }

  private claimReplicaSets(d: KObj, selector: LabelSelector): Promise<KObj[]> {
    return claim(inNamespace(this.ctx.informers.replicaSets, d.metadata.namespace), {
      client: this.ctx.client,
      owner: d,
      ownerApiVersion: 'apps/v1',
      ownerKind: 'Deployment',
      selector,
      pathOf: (rs) => rsPath(rs.metadata.namespace, rs.metadata.name),
      recheckOwner: () => this.ctx.client.get(dPath(d)).catch(() => undefined),
      signal: this.ctx.signal,
    });
  }

  private isScalingEvent(d: KObj, rsList: KObj[]): boolean {
    return logic.active(rsList).some((rs) => {
      const desired = rs.metadata?.annotations?.[logic.DESIRED_REPLICAS];
      return desired !== undefined && Number(desired) !== logic.replicasOf(d);
    });
  }

  private async rolloutRolling(d: KObj, rsList: KObj[]): Promise<void> {
    const found = await this.sets.newAndOld(d, rsList, true);
    let newRS = found.newRS!;
    let old = found.old;
    const want = logic.replicasOf(d);
    if (logic.replicasOf(newRS) !== want) {
      const size = logic.replicasOf(newRS) > want ? want : logic.newRSNewReplicas(d, [...old, newRS], newRS);
      const before = logic.replicasOf(newRS);
      newRS = await this.sets.scale(newRS, size, d);
      if (logic.replicasOf(newRS) !== before) return this.syncRolloutStatus(d, [...old, newRS], newRS);
    }
    const sizes = logic.scaleDownOld(d, [...old, newRS], logic.active(old), newRS);
    if (sizes.size > 0) {
      old = await Promise.all(
        old.map((rs) =>
          sizes.has(rs.metadata.name) ? this.sets.scale(rs, sizes.get(rs.metadata.name)!, d) : rs,
        ),
      );
      return this.syncRolloutStatus(d, [...old, newRS], newRS);
    }
    if (logic.deploymentComplete(d, d.status ?? {})) await this.sets.cleanup(d, old);
    return this.syncRolloutStatus(d, [...old, newRS], newRS);
  }

  private async rolloutRecreate(d: KObj, rsList: KObj[]): Promise<void> {
    let { newRS, old } = await this.sets.newAndOld(d, rsList, false);
    const activeOld = logic.active(old);
    if (activeOld.length) {
      old = await Promise.all(old.map((rs) => (logic.replicasOf(rs) > 0 ? this.sets.scale(rs, 0, d) : rs)));
      return this.syncRolloutStatus(d, newRS ? [...old, newRS] : old, newRS);
    }
    // No new pods while an old one still runs (terminating pods included): that is what Recreate promises.
    const oldUids = new Set(old.map((rs) => rs.metadata.uid));
    const oldRunning = inNamespace(this.ctx.informers.pods, d.metadata.namespace).some(
      (p) =>
        oldUids.has(controllerOf(p)?.uid) && p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded',
    );
    if (oldRunning) return this.syncRolloutStatus(d, newRS ? [...old, newRS] : old, newRS);
    if (!newRS) ({ newRS, old } = await this.sets.newAndOld(d, rsList, true));
    newRS = await this.sets.scale(newRS!, logic.replicasOf(d), d);
    if (logic.deploymentComplete(d, d.status ?? {})) await this.sets.cleanup(d, old);
    return this.syncRolloutStatus(d, [...old, newRS], newRS);
  }

  /** sync(): scaling (or paused, or being deleted) without rolling anything forward. */
  private async syncScale(d: KObj, rsList: KObj[]): Promise<void> {
    const { newRS, old } = await this.sets.newAndOld(d, rsList, false);
    const all = newRS ? [...old, newRS] : old;
    const latest =
      all.length === 0
        ? undefined
        : logic.active(all).length === 1
          ? logic.active(all)[0]
          : logic.active(all).length === 0
            ? (newRS ?? [...old].sort(logic.byCreationTimestamp).at(-1))
            : undefined;
    const updated = new Map<string, KObj>();
    if (!d.metadata.deletionTimestamp) {
      if (latest) {
        if (logic.replicasOf(latest) !== logic.replicasOf(d))
          updated.set(latest.metadata.name, await this.sets.scale(latest, logic.replicasOf(d), d));
      } else if (
        newRS &&
        logic.replicasOf(newRS) === logic.replicasOf(d) &&
        (newRS.status?.availableReplicas ?? 0) === logic.replicasOf(d)
      ) {
        for (const rs of logic.active(old)) updated.set(rs.metadata.name, await this.sets.scale(rs, 0, d));
      } else if ((d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
        for (const [name, size] of logic.proportionalSizes(d, newRS, old)) {
          const rs = all.find((r) => r.metadata.name === name)!;
          updated.set(name, await this.sets.scale(rs, size, d));
        }
      }
    }
    const now = seconds(this.ctx.now());
    const fresh = all.map((rs) => updated.get(rs.metadata.name) ?? rs);
    const status = logic.calculateStatus(d, fresh, newRS && (updated.get(newRS.metadata.name) ?? newRS), now);
    if (!logic.sameDeploymentStatus(d.status, status)) await this.sets.writeStatus(d, status);
  }

  private async syncRolloutStatus(d: KObj, all: KObj[], newRS: KObj | undefined): Promise<void> {
    const nowMs = this.ctx.now();
    const status = logic.rolloutStatus(d, all, newRS, nowMs);
    if (!logic.sameDeploymentStatus(d.status, status)) return this.sets.writeStatus(d, status);
    // requeueStuckDeployment: look again when the progress deadline would pass.
    const cond = (status.conditions ?? []).find((c: KObj) => c.type === 'Progressing');
    const deadline = d.spec?.progressDeadlineSeconds;
    if (
      cond &&
      cond.reason !== 'NewReplicaSetAvailable' &&
      deadline !== undefined &&
      !logic.deploymentComplete(d, status)
    ) {
      const after = Date.parse(cond.lastUpdateTime) + deadline * 1000 - nowMs;
      if (after > 0) this.queue.addAfter(keyOf(d), after + 1000);
    }
  }
}
