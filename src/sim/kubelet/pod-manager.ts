/**
 * The kubelet's pod config and pod manager: it merges the two sources (API pods bound to the node,
 * from the pod informer; static pods, from the file source), marks every pod with
 * `kubernetes.io/config.source` and `kubernetes.io/config.seen` as the kubelet's pod config does,
 * keeps mirror pods apart, and runs one PodWorker per pod that should run: new pods start, changed
 * pods are handed their new version, pods gone from their source are terminated and forgotten.
 * A pod already in a terminal phase on the API is not run (filterOutInactivePods).
 */
import { rfc3339Nano, type Clock } from './clock.js';
import { generatePodStatus, allStopped } from './pod-status.js';
import { PodWorker, type PodWorkerDeps } from './pod-worker.js';
import { ObjectStore, type Obj } from './reflector.js';
import { CONFIG_SEEN, CONFIG_SOURCE, isMirrorPod } from './static-pods.js';
import type { StatusManager } from './status-manager.js';
import type { VolumeManager } from './volumes.js';

export interface PodManagerOptions {
  clock: Clock;
  status: StatusManager;
  volumes: VolumeManager;
  workerDeps: Omit<PodWorkerDeps, 'onChange' | 'onTerminated' | 'volumes'>;
  /** Something about pods changed (for the node's counters and the mirror pods). */
  onPodsChanged(): void;
}

export class PodManager {
  /** The pod informer's cache: every API pod bound to the node, mirror pods included. */
  readonly apiPods = new ObjectStore();
  staticPods: Obj[] = [];
  readonly workers = new Map<string, PodWorker>();
  private readonly seen = new Map<string, string>();
  private readonly removed = new Set<string>();

  constructor(private readonly o: PodManagerOptions) {}

  private annotate(pod: Obj, source: 'api' | 'file'): Obj {
    const uid = pod.metadata.uid as string;
    if (!this.seen.has(uid))
      this.seen.set(uid, pod.metadata.annotations?.[CONFIG_SEEN] ?? rfc3339Nano(this.o.clock.now()));
    const copy = {
      ...pod,
      metadata: {
        ...pod.metadata,
        annotations: {
          ...(pod.metadata.annotations ?? {}),
          [CONFIG_SOURCE]: source,
          [CONFIG_SEEN]: this.seen.get(uid),
        },
      },
    };
    return copy;
  }

  /** The pods the kubelet wants: API pods (not mirrors, not finished) and static pods. */
  desired(): Map<string, { pod: Obj; isStatic: boolean }> {
    const out = new Map<string, { pod: Obj; isStatic: boolean }>();
    for (const p of this.apiPods.list()) {
      if (isMirrorPod(p)) continue;
      const phase = p.status?.phase;
      if ((phase === 'Succeeded' || phase === 'Failed') && !this.workers.has(p.metadata.uid)) continue;
      out.set(p.metadata.uid, { pod: this.annotate(p, 'api'), isStatic: false });
    }
    for (const p of this.staticPods)
      out.set(p.metadata.uid, { pod: this.annotate(p, 'file'), isStatic: true });
    return out;
  }

  /** Brings the workers in line with the sources. */
  reconcile(): void {
    const desired = this.desired();
    for (const [uid, { pod, isStatic }] of desired) {
      const w = this.workers.get(uid);
      if (!w) {
        if (this.removed.has(uid)) continue;
        this.startWorker(pod, isStatic);
      } else if (
        w.pod.metadata.resourceVersion !== pod.metadata.resourceVersion ||
        !!pod.metadata.deletionTimestamp !== !!w.pod.metadata.deletionTimestamp
      ) {
        w.update(pod);
      }
    }
    for (const [uid, w] of this.workers) {
      if (desired.has(uid)) continue;
      // Gone from its source: stop it with its own grace period, then forget it.
      this.removed.add(uid);
      void w.terminate(w.pod.metadata.deletionGracePeriodSeconds).then(() => this.forget(w));
    }
    this.o.onPodsChanged();
  }

  private startWorker(pod: Obj, isStatic: boolean): void {
    if (!isStatic) this.o.volumes.register(pod);
    const w = new PodWorker(
      pod,
      {
        ...this.o.workerDeps,
        volumes: this.o.volumes,
        onChange: (wk) => this.publish(wk),
        onTerminated: (wk) => {
          this.publish(wk);
          this.o.onPodsChanged();
        },
      },
      isStatic,
    );
    this.workers.set(pod.metadata.uid, w);
    w.requestSync();
  }

  private publish(w: PodWorker): void {
    const status = generatePodStatus(w.pod, w.rec, w.isStatic);
    const canBeDeleted = w.terminated && allStopped(w.rec) && !!w.pod.metadata.deletionTimestamp;
    this.o.status.setStatus(w.pod, status, w.isStatic, canBeDeleted);
    this.o.onPodsChanged();
  }

  private forget(w: PodWorker): void {
    if (this.workers.get(w.uid) !== w) return;
    this.workers.delete(w.uid);
    w.detach();
    if (!w.isStatic) this.o.volumes.unregister(w.pod);
    void this.o.volumes.tearDown(w.uid);
    this.o.status.remove(w.uid);
    this.o.workerDeps.runtime.removePod(w.uid);
    this.o.onPodsChanged();
    // A pod UID never comes back, but a static pod removed and restored has the same UID.
    if (w.isStatic) {
      this.removed.delete(w.uid);
      this.reconcile();
    }
  }

  /** The API's status of a pod (for the status manager's first transition times). */
  apiStatus(uid: string): Obj | undefined {
    for (const p of this.apiPods.items.values()) if (p.metadata?.uid === uid) return p.status;
    return undefined;
  }

  /** What /pods shows: API pods from the cache, static pods with the status manager's status. */
  podsForServer(): Obj[] {
    return [...this.desired().values()].map(({ pod, isStatic }) =>
      isStatic ? { ...pod, status: this.o.status.get(pod.metadata.uid) ?? pod.status } : pod,
    );
  }

  /** The kubelet stops: every worker lets go (the runtime keeps or loses the containers). */
  detachAll(): void {
    for (const w of this.workers.values()) w.detach();
    this.workers.clear();
  }

  counts(): { pods: number; running: number; ready: number } {
    let running = 0;
    let ready = 0;
    for (const w of this.workers.values()) {
      const s = this.o.status.get(w.uid);
      if (s?.phase === 'Running') running++;
      if ((s?.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True')) ready++;
    }
    return { pods: this.workers.size, running, ready };
  }
}
