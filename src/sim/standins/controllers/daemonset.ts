/**
 * The DaemonSet controller (k/k pkg/controller/daemon): one pod per node that should run it. As in
 * Kubernetes since 1.12 (ScheduleDaemonSetPods), pods are created unbound with a required node
 * affinity on `metadata.name` and the default scheduler binds them, so taints, host ports and the
 * rest are judged by the scheduler; the controller only decides which nodes want a pod. Pods carry
 * the current ControllerRevision's hash; RollingUpdate replaces old pods within maxUnavailable
 * (or surges within maxSurge); status counts desired/current/ready/updated/available pods.
 */
import { labelSelectorFromObject } from '../../../apiserver/selectors/index.js';
import type { KObj } from '../client/client.js';
import { keyOf } from '../client/informer.js';
import { isApiStatus } from '../errors.js';
import {
  inNamespace,
  omitZero,
  objectPath,
  podPath,
  slowStartBatch,
  writeStatus,
  type Controller,
  type ControllerContext,
  selectingControllers,
} from './context.js';
import { cleanupHistory, constructHistory } from './daemonset-history.js';
import {
  daemonSetCounts,
  pinToNode,
  planNode,
  podsByNode,
  REVISION_HASH_LABEL,
  rollingUpdateStep,
  TEMPLATE_GENERATION_ANNOTATION,
  TEMPLATE_GENERATION_LABEL,
  withDaemonTolerations,
} from './daemonset-logic.js';
import { Expectations } from './expectations.js';
import { controllerOf, controllerRef, isPodReady, podFromTemplate, resolveControllerRef } from './pods.js';
import { claim } from './ref-manager.js';
import { WorkQueue } from './queue.js';

const COMPONENT = 'daemonset-controller';
const BURST_REPLICAS = 250;

export class DaemonSetController implements Controller {
  readonly name = 'daemonset';
  private readonly queue = new WorkQueue();
  private readonly expectations: Expectations;
  /** Failed-pod back-off per DaemonSet and node: deleting a pod the kubelet keeps rejecting must not hot-loop. */
  private readonly failedBackoff = new Map<string, { delayMs: number; until: number }>();

  constructor(private readonly ctx: ControllerContext) {
    this.expectations = new Expectations(ctx.now);
    const { daemonSets, pods, nodes, controllerRevisions } = ctx.informers;
    const enqueueAll = (): void => daemonSets.list().forEach((ds) => this.queue.add(keyOf(ds)));
    daemonSets.addHandler({
      add: (ds) => this.queue.add(keyOf(ds)),
      update: (_, ds) => this.queue.add(keyOf(ds)),
      delete: (ds) => {
        this.expectations.delete(keyOf(ds));
        this.queue.add(keyOf(ds));
      },
    });
    pods.addHandler({
      add: (pod) => {
        const ds = this.ownerOf(pod);
        if (ds) this.expectations.creationObserved(keyOf(ds));
        this.enqueueFor(pod);
      },
      update: (old, pod) => {
        const oldOwner = this.ownerOf(old);
        if (oldOwner && oldOwner !== this.ownerOf(pod)) this.queue.add(keyOf(oldOwner));
        this.enqueueFor(pod);
        const ds = this.ownerOf(pod);
        if (ds && !isPodReady(old) && isPodReady(pod) && ds.spec?.minReadySeconds > 0)
          this.queue.addAfter(keyOf(ds), ds.spec.minReadySeconds * 1000 + 1);
      },
      // Unlike the ReplicaSet controller, a deletion counts only once the pod is gone: a node gets
      // its new pod only after the old one has terminated.
      delete: (pod) => {
        const ds = this.ownerOf(pod);
        if (ds) this.expectations.deletionObserved(keyOf(ds), keyOf(pod));
        this.enqueueFor(pod);
      },
    });
    nodes.addHandler({ add: enqueueAll, update: enqueueAll, delete: enqueueAll });
    controllerRevisions.addHandler({
      add: (r) => this.enqueueOwnerOf(r),
      update: (_, r) => this.enqueueOwnerOf(r),
      delete: (r) => this.enqueueOwnerOf(r),
    });
  }

  run(signal: AbortSignal): Promise<void> {
    for (const ds of this.ctx.informers.daemonSets.list()) this.queue.add(keyOf(ds));
    return this.queue.run(signal, 2, (key) => this.sync(key), this.ctx.log);
  }

  private ownerOf(obj: KObj): KObj | undefined {
    return resolveControllerRef(obj, 'DaemonSet', this.ctx.informers.daemonSets);
  }

  private enqueueOwnerOf(obj: KObj): void {
    const ds = this.ownerOf(obj);
    if (ds) this.queue.add(keyOf(ds));
  }

  private enqueueFor(pod: KObj): void {
    if (controllerOf(pod)) return this.enqueueOwnerOf(pod);
    for (const ds of selectingControllers(this.ctx.informers.daemonSets, pod)) this.queue.add(keyOf(ds));
  }

  private async sync(key: string): Promise<void> {
    const ds = this.ctx.informers.daemonSets.get(key);
    if (!ds) {
      this.expectations.delete(key);
      return;
    }
    const selector = labelSelectorFromObject(ds.spec?.selector);
    const recorder = this.ctx.recorder(COMPONENT);
    if (!selector || selector.requirements.length === 0) {
      recorder.event(
        ds,
        'Warning',
        'SelectingAll',
        'This daemon set is selecting all pods. A non-empty selector is required.',
      );
      return;
    }
    // While the DaemonSet is being deleted its history may be half gone: nothing reliable to do.
    if (ds.metadata.deletionTimestamp) return;
    const nodes = [...this.ctx.informers.nodes.list()].sort((a, b) =>
      a.metadata.name < b.metadata.name ? -1 : 1,
    );
    const { current, old } = await constructHistory(this.ctx, ds);
    const hash: string = current.metadata?.labels?.[REVISION_HASH_LABEL] ?? '';
    let pods = await this.claimPods(ds, selector);
    let failure: unknown;
    const satisfied = this.expectations.satisfied(key);
    if (satisfied) {
      try {
        await this.manage(ds, key, nodes, podsByNode(pods), hash);
        if (this.expectations.satisfied(key) && ds.spec?.updateStrategy?.type !== 'OnDelete') {
          const step = rollingUpdateStep(ds, nodes, podsByNode(pods), hash, this.ctx.now());
          await this.syncNodes(ds, key, step.deletePods, step.createOn, hash);
        }
        await cleanupHistory(this.ctx, ds, old, pods);
      } catch (err) {
        failure = err;
      }
      pods = this.ownedPods(ds);
    }
    const counts = daemonSetCounts(ds, nodes, podsByNode(pods), hash, this.ctx.now());
    // The last three are `omitempty` in Go; the first four are always written.
    const status: KObj = omitZero({ ...ds.status, ...counts }, [
      'updatedNumberScheduled',
      'numberAvailable',
      'numberUnavailable',
    ]);
    if (satisfied) status.observedGeneration = ds.metadata.generation;
    const changed =
      Object.keys(counts).some((k) => (ds.status?.[k] ?? 0) !== counts[k]) ||
      (ds.status?.observedGeneration ?? 0) < (status.observedGeneration ?? 0);
    const path = objectPath('apps/v1', 'daemonsets', ds.metadata.namespace, ds.metadata.name);
    if (changed) await writeStatus(this.ctx.client, path, ds, status, this.ctx.signal);
    if (failure) throw failure;
    const minReady = ds.spec?.minReadySeconds ?? 0;
    if (minReady > 0 && counts.numberReady !== counts.numberAvailable)
      this.queue.addAfter(key, minReady * 1000);
  }

  private claimPods(
    ds: KObj,
    selector: ReturnType<typeof labelSelectorFromObject> & object,
  ): Promise<KObj[]> {
    const ns = ds.metadata.namespace;
    return claim(inNamespace(this.ctx.informers.pods, ns), {
      client: this.ctx.client,
      owner: ds,
      ownerApiVersion: 'apps/v1',
      ownerKind: 'DaemonSet',
      selector,
      pathOf: podPath,
      recheckOwner: () =>
        this.ctx.client.get(objectPath('apps/v1', 'daemonsets', ns, ds.metadata.name)).catch(() => undefined),
      signal: this.ctx.signal,
    });
  }

  /** The pods the informer shows this DaemonSet controlling now (after this sync's writes were observed or not). */
  private ownedPods(ds: KObj): KObj[] {
    return inNamespace(this.ctx.informers.pods, ds.metadata.namespace).filter(
      (p) => controllerOf(p)?.uid === ds.metadata.uid,
    );
  }

  private async manage(
    ds: KObj,
    key: string,
    nodes: KObj[],
    byNode: Map<string, KObj[]>,
    hash: string,
  ): Promise<void> {
    const create: string[] = [];
    const remove: string[] = [];
    const now = this.ctx.now();
    const recorder = this.ctx.recorder(COMPONENT);
    for (const node of nodes) {
      const plan = planNode(node, ds, byNode.get(node.metadata.name), hash, now);
      if (plan.create) create.push(node.metadata.name);
      for (const name of plan.delete) {
        if (plan.failed.includes(name)) {
          const bk = `${ds.metadata.uid}/${node.metadata.name}`;
          const b = this.failedBackoff.get(bk);
          if (b && b.until > now) {
            this.queue.addAfter(key, b.until - now);
            continue;
          }
          const delayMs = Math.min((b?.delayMs ?? 500) * 2, 15 * 60_000);
          this.failedBackoff.set(bk, { delayMs, until: now + delayMs });
          recorder.event(
            ds,
            'Warning',
            'FailedDaemonPod',
            `Found failed daemon pod ${ds.metadata.namespace}/${name} on node ${node.metadata.name}, will try to kill it`,
          );
        }
        remove.push(name);
      }
    }
    // Unscheduled pods pinned to nodes that no longer exist: nothing else would ever remove them.
    const known = new Set(nodes.map((n) => n.metadata.name));
    for (const [nodeName, pods] of byNode) {
      if (!known.has(nodeName))
        remove.push(...pods.filter((p) => !p.spec?.nodeName).map((p) => p.metadata.name));
    }
    await this.syncNodes(ds, key, remove, create, hash);
  }

  /** Deletes the named pods and creates one pod for each node (syncNodes), with expectations set first. */
  private async syncNodes(
    ds: KObj,
    key: string,
    remove: string[],
    createOn: string[],
    hash: string,
  ): Promise<void> {
    const create = createOn.slice(0, BURST_REPLICAS);
    const del = remove.slice(0, BURST_REPLICAS);
    if (!create.length && !del.length) return;
    const ns = ds.metadata.namespace;
    this.expectations.set(
      key,
      create.length,
      del.map((n) => `${ns}/${n}`),
    );
    const recorder = this.ctx.recorder(COMPONENT);
    const template = podTemplate(ds, hash);
    const ref = controllerRef(ds, 'apps/v1', 'DaemonSet');
    const errors: Error[] = [];
    const { successes, errors: createErrors } = await slowStartBatch(create.length, async (i) => {
      const pod = podFromTemplate(template, ds, ref);
      pod.spec.affinity = pinToNode(pod.spec.affinity, create[i]!);
      const created = await this.ctx.client.create(objectPath('v1', 'pods', ns), pod, this.ctx.signal);
      recorder.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    });
    this.expectations.lowerCreations(key, create.length - successes);
    for (const e of createErrors)
      recorder.event(ds, 'Warning', 'FailedCreate', `Error creating: ${e.message}`);
    errors.push(...createErrors);
    await Promise.all(
      del.map(async (name) => {
        try {
          await this.ctx.client.delete(objectPath('v1', 'pods', ns, name), undefined, this.ctx.signal);
          recorder.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
        } catch (err) {
          this.expectations.deletionObserved(key, `${ns}/${name}`);
          if (isApiStatus(err, 404)) return;
          recorder.event(ds, 'Warning', 'FailedDelete', `Error deleting: ${(err as Error).message}`);
          errors.push(err as Error);
        }
      }),
    );
    if (errors.length) throw errors[0];
  }
}

/** The template pods are made from (util.CreatePodTemplate): default tolerations, the generation and hash labels. */
function podTemplate(ds: KObj, hash: string): KObj {
  const t = ds.spec.template;
  const labels: Record<string, string> = { ...t.metadata?.labels };
  const generation = ds.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  if (generation !== undefined) labels[TEMPLATE_GENERATION_LABEL] = generation;
  if (hash) labels[REVISION_HASH_LABEL] = hash;
  return { metadata: { ...t.metadata, labels }, spec: withDaemonTolerations(t.spec ?? {}) };
}
