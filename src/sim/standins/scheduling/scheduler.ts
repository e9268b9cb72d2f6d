/**
 * The scheduling loop of the kube-scheduler stand-in: informers on nodes and on non-terminal pods
 * (what the real scheduler caches), a queue of pending pods of this scheduler by priority then
 * age, one decision at a time (filter.ts), POST pods/<name>/binding, and the events and
 * PodScheduled condition the real one writes. A pod that fits nowhere waits with the unschedulable
 * ones until a node or a pod changes (or a periodic flush), as the scheduling queue moves them.
 * Bound pods are "assumed" on their node until the informer shows the binding, so two pods in a
 * row never take the same host port.
 */
import { STRATEGIC_MERGE_PATCH, type KObj, type KubeClient } from '../client/client.js';
import { Informer, keyOf, sleep } from '../client/informer.js';
import { isApiStatus } from '../errors.js';
import type { EventRecorder } from '../controllers/events.js';
import { schedule } from './filter.js';

export interface SchedulingLoopOptions {
  client: KubeClient;
  pods: Informer;
  nodes: Informer;
  recorder: EventRecorder;
  schedulerName: string;
  /** Unschedulable pods are retried at least this often (the real queue flushes after 5 min). */
  flushIntervalMs?: number;
  log?: (line: string) => void;
}

const podPath = (p: KObj): string => `/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}`;

/** Wires the informers' events to a scheduling queue; run() schedules while its signal lives (while leading). */
export class SchedulingLoop {
  private readonly active = new Set<string>();
  private readonly unschedulable = new Set<string>();
  private readonly assumed = new Map<string, { node: string; pod: KObj }>();
  private wake?: () => void;

  constructor(private readonly opts: SchedulingLoopOptions) {
    const retryAll = (): void => {
      for (const k of this.unschedulable) this.enqueue(k);
      this.unschedulable.clear();
    };
    opts.pods.addHandler({
      add: (pod) => this.onPod(pod),
      update: (old, pod) => {
        if (old.spec?.nodeName !== pod.spec?.nodeName) this.assumed.delete(keyOf(pod));
        this.onPod(pod);
      },
      delete: (pod) => {
        this.assumed.delete(keyOf(pod));
        this.active.delete(keyOf(pod));
        this.unschedulable.delete(keyOf(pod));
        // A pod that went away may have freed ports or room.
        if (pod.spec?.nodeName) retryAll();
      },
    });
    opts.nodes.addHandler({ add: retryAll, update: retryAll });
    this.retryAll = retryAll;
  }

  private readonly retryAll: () => void;

  private isPending(pod: KObj): boolean {
    return (
      !pod.spec?.nodeName &&
      !pod.metadata?.deletionTimestamp &&
      (pod.spec?.schedulerName ?? 'default-scheduler') === this.opts.schedulerName
    );
  }

  private onPod(pod: KObj): void {
    if (this.isPending(pod) && !this.unschedulable.has(keyOf(pod))) this.enqueue(keyOf(pod));
  }

  private enqueue(key: string): void {
    this.active.add(key);
    this.wake?.();
  }

  /** The next pending pod: highest priority first, then the oldest. */
  private next(): KObj | undefined {
    let best: KObj | undefined;
    for (const key of this.active) {
      const pod = this.opts.pods.get(key);
      if (!pod || !this.isPending(pod) || this.assumed.has(key)) {
        this.active.delete(key);
        continue;
      }
      if (!best) best = pod;
      else {
        const pa = pod.spec?.priority ?? 0;
        const pb = best.spec?.priority ?? 0;
        if (
          pa > pb ||
          (pa === pb && (pod.metadata.creationTimestamp ?? '') < (best.metadata.creationTimestamp ?? ''))
        )
          best = pod;
      }
    }
    if (best) this.active.delete(keyOf(best));
    return best;
  }

  /** Schedules until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    for (const pod of this.opts.pods.list()) this.onPod(pod);
    const flush = setInterval(this.retryAll, this.opts.flushIntervalMs ?? 30_000);
    try {
      while (!signal.aborted) {
        const pod = this.next();
        if (!pod) {
          await new Promise<void>((resolve) => {
            const done = (): void => {
              signal.removeEventListener('abort', done);
              this.wake = undefined;
              resolve();
            };
            this.wake = done;
            signal.addEventListener('abort', done, { once: true });
          });
          continue;
        }
        await this.scheduleOne(pod, signal).catch((err: Error) => {
          if (signal.aborted) return;
          this.opts.log?.(`scheduling ${keyOf(pod)}: ${err.message}`);
          // Back off a little before this pod's next attempt, as the backoff queue does.
          setTimeout(() => this.enqueue(keyOf(pod)), 1000).unref();
        });
        await sleep(0);
      }
    } finally {
      clearInterval(flush);
    }
  }

  /** Pods on each node: what the informer shows bound, plus the ones bound here and not yet seen. */
  private podsByNode(): Map<string, KObj[]> {
    const out = new Map<string, KObj[]>();
    const add = (node: string, pod: KObj): void => void out.set(node, [...(out.get(node) ?? []), pod]);
    for (const pod of this.opts.pods.list()) {
      const node = pod.spec?.nodeName ?? this.assumed.get(keyOf(pod))?.node;
      if (node) add(node, pod);
    }
    return out;
  }

  private async scheduleOne(pod: KObj, signal: AbortSignal): Promise<void> {
    const key = keyOf(pod);
    const nodes = [...this.opts.nodes.list()].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
    const decision = schedule(pod, nodes, this.podsByNode());
    if (decision.node === undefined) {
      this.unschedulable.add(key);
      this.opts.recorder.event(pod, 'Warning', 'FailedScheduling', decision.message, 'Scheduling');
      await this.markUnschedulable(pod, decision.message, signal);
      return;
    }
    const binding = {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid },
      target: { apiVersion: 'v1', kind: 'Node', name: decision.node },
    };
    this.assumed.set(key, { node: decision.node, pod });
    try {
      await this.opts.client.create(`${podPath(pod)}/binding`, binding, signal);
    } catch (err) {
      this.assumed.delete(key);
      // Bound or deleted meanwhile (409), or gone (404): nothing left to schedule.
      if (isApiStatus(err, 404, 409)) return;
      throw err;
    }
    this.opts.recorder.event(
      pod,
      'Normal',
      'Scheduled',
      `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${decision.node}`,
      'Binding',
    );
  }

  private async markUnschedulable(pod: KObj, message: string, signal: AbortSignal): Promise<void> {
    const current = (pod.status?.conditions ?? []).find((c: KObj) => c.type === 'PodScheduled');
    if (current?.status === 'False' && current.reason === 'Unschedulable' && current.message === message)
      return;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const patch = {
      metadata: { uid: pod.metadata.uid },
      status: {
        conditions: [
          {
            type: 'PodScheduled',
            status: 'False',
            reason: 'Unschedulable',
            message,
            lastProbeTime: null,
            lastTransitionTime: now,
          },
        ],
      },
    };
    await this.opts.client
      .patch(`${podPath(pod)}/status`, patch, STRATEGIC_MERGE_PATCH, signal)
      .catch((err) => {
        if (!isApiStatus(err, 404, 409)) throw err;
      });
  }
}
