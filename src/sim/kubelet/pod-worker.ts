/**
 * One pod's worker (pod_workers.go + kuberuntime's SyncPod/computePodActions): each sync looks at
 * what the runtime has and takes the next steps: volumes (secrets, config maps, tokens), the
 * sandbox, init containers one by one (sidecars started and left running), then every container,
 * restarting exited ones by the pod's restartPolicy behind the crash-loop back-off. A deletion
 * stops every container within the grace period (SIGTERM, SIGKILL at the end), regular containers
 * before sidecars, then the sandbox. Syncs are serialised; anything that happens meanwhile (an
 * exit, a probe result, a back-off running out) asks for one more.
 */
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { goDuration, type RestartBackoff } from './backoff.js';
import { rfc3339, type Clock, type Timer } from './clock.js';
import type { ContainerRuntime, RuntimeContainer, Sandbox } from './container-runtime.js';
import { containerRef, type EventRecorder } from './events.js';
import type { ImagePuller } from './images.js';
import { isSidecar, podPhase, type ContainerRecord, type PodRecord, type Terminated } from './pod-status.js';
import { Prober } from './prober.js';
import type { VolumeManager } from './volumes.js';

export type Obj = Record<string, any>;

export interface PodWorkerDeps {
  clock: Clock;
  runtime: ContainerRuntime;
  backoff: RestartBackoff;
  images: ImagePuller;
  events: EventRecorder;
  volumes?: VolumeManager;
  hostIP: string;
  /** Time to set up a sandbox (kubelet ms). */
  sandboxDelayMs: number;
  servicesSynced(): boolean;
  onChange(w: PodWorker): void;
  onTerminated(w: PodWorker): void;
}

const VOLUME_RETRY_MAX_MS = 122_000;

export class PodWorker {
  readonly uid: string;
  readonly rec: PodRecord;
  private readonly waiting = new Map<string, { reason: string; message?: string }>();
  private readonly prober: Prober;
  private readonly timers = new Set<Timer>();
  private readonly stop = new AbortController();
  private syncing = false;
  private again = false;
  private terminating?: Promise<void>;
  private volumeRetryMs = 500;
  private readonly unsubscribe: () => void;

  constructor(
    public pod: Obj,
    private readonly d: PodWorkerDeps,
    readonly isStatic: boolean,
  ) {
    this.uid = pod.metadata.uid;
    this.rec = {
      hostIP: d.hostIP,
      sandboxReady: false,
      init: new Map(),
      containers: new Map(),
      terminal: false,
    };
    this.prober = new Prober(d.clock, {
      onChange: () => this.requestSync(),
      onFailure: (c, kind) =>
        this.event(
          c.name,
          'Warning',
          'Unhealthy',
          `${kind[0]!.toUpperCase()}${kind.slice(1)} probe failed: `,
        ),
      onKill: (c, kind) => {
        this.event(
          c.name,
          'Normal',
          'Killing',
          `Container ${c.name} failed ${kind} probe, will be restarted`,
        );
        void d.runtime.stopContainer(c, this.graceMs());
      },
    });
    this.unsubscribe = d.runtime.onExit((c) => {
      if (c.podUid !== this.uid) return;
      this.prober.remove(c.id);
      if (this.terminating) this.publish();
      else this.requestSync();
    });
  }

  get terminated(): boolean {
    return this.rec.terminal;
  }

  /** A new version of the pod from its source; a deletion timestamp starts the termination. */
  update(pod: Obj): void {
    this.pod = pod;
    if (pod.metadata?.deletionTimestamp) void this.terminate(pod.metadata.deletionGracePeriodSeconds);
    else this.requestSync();
  }

  requestSync(): void {
    if (this.stop.signal.aborted || this.terminating) return;
    if (this.syncing) {
      this.again = true;
      return;
    }
    this.syncing = true;
    void (async () => {
      try {
        do {
          this.again = false;
          await this.sync();
        } while (this.again && !this.stop.signal.aborted && !this.terminating);
      } finally {
        this.syncing = false;
      }
    })();
  }

  /** The kubelet stops (exit or power off): the worker lets go of its pod without touching it. */
  detach(): void {
    this.stop.abort();
    for (const t of this.timers) t.cancel();
    this.prober.stopAll();
    this.unsubscribe();
  }

  /** Kills every container within `graceS` (the pod's own grace period by default); idempotent. */
  terminate(graceS?: number): Promise<void> {
    this.terminating ??= (async () => {
      for (const t of this.timers) t.cancel();
      const grace = graceS !== undefined ? graceS * 1000 : this.graceMs();
      const live = this.d.runtime.containersOf(this.uid).filter((c) => c.running);
      const sidecarNames = new Set(
        (this.pod.spec?.initContainers ?? []).filter(isSidecar).map((c: Obj) => c.name),
      );
      for (const c of live) this.event(c.name, 'Normal', 'Killing', `Stopping container ${c.name}`);
      await Promise.all(
        live.filter((c) => !sidecarNames.has(c.name)).map((c) => this.d.runtime.stopContainer(c, grace)),
      );
      await Promise.all(
        live.filter((c) => sidecarNames.has(c.name)).map((c) => this.d.runtime.stopContainer(c, grace)),
      );
      this.prober.stopAll();
      this.d.runtime.removeSandbox(this.uid);
      this.waiting.clear();
      this.rec.terminal = true;
      this.publish();
      this.d.onTerminated(this);
    })();
    return this.terminating;
  }

  private graceMs(): number {
    return (this.pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
  }

  private get bail(): boolean {
    return this.stop.signal.aborted || !!this.terminating;
  }

  private after(ms: number, fn: () => void): void {
    const t = this.d.clock.after(ms, () => {
      this.timers.delete(t);
      fn();
    });
    this.timers.add(t);
  }

  private event(
    container: string | undefined,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): void {
    const init = (this.pod.spec?.initContainers ?? []).some((c: Obj) => c.name === container);
    this.d.events.event(containerRef(this.pod, container, init), type, reason, message);
  }

  private fmtPod(): string {
    return `${this.pod.metadata.name}_${this.pod.metadata.namespace}(${this.uid})`;
  }

  private async sync(): Promise<void> {
    const { runtime, clock } = this.d;
    this.rec.startTime ??= rfc3339(clock.now());
    // SyncPod sets the pod's status first, before waiting for anything.
    this.publish();
    if (this.d.volumes && this.isStatic) await this.d.volumes.setUpLocal(this.pod);
    else if (this.d.volumes) {
      const err = await this.d.volumes.setUp(this.pod);
      if (this.bail) return;
      if (err) {
        this.event(undefined, 'Warning', 'FailedMount', err);
        this.after(this.volumeRetryMs, () => this.requestSync());
        this.volumeRetryMs = Math.min(this.volumeRetryMs * 2, VOLUME_RETRY_MAX_MS);
        return this.publish();
      }
      this.volumeRetryMs = 500;
    }
    let sb = runtime.sandboxes.get(this.uid);
    if (!sb) {
      const restarted = runtime.containersOf(this.uid).length > 0;
      await clock.sleep(this.d.sandboxDelayMs, this.stop.signal).catch(() => undefined);
      if (this.bail) return;
      if (restarted)
        this.event(
          undefined,
          'Normal',
          'SandboxChanged',
          'Pod sandbox changed, it will be killed and re-created.',
        );
      sb = runtime.runSandbox(this.uid, this.pod.spec?.hostNetwork === true, this.d.hostIP);
      this.rec.podIP = sb.ip;
      this.publish();
    }
    const policy = this.pod.spec?.restartPolicy ?? 'Always';
    for (const c of (this.pod.spec?.initContainers ?? []) as Obj[]) {
      const rc = runtime.latest(this.uid, c.name);
      const cur = rc && current(rc, sb) ? rc : undefined;
      if (isSidecar(c)) {
        if (!cur?.running && !(await this.start(c, rc, cur))) return this.publish();
        const now = runtime.latest(this.uid, c.name)!;
        if (!now.running || !this.prober.state(now).started) return this.publish();
        continue;
      }
      if (cur && !cur.running && cur.exitCode === 0) continue;
      if (cur?.running) return this.publish();
      if (cur && policy === 'Never') return this.complete();
      await this.start(c, rc, cur);
      return this.publish();
    }
    for (const c of (this.pod.spec?.containers ?? []) as Obj[]) {
      const rc = runtime.latest(this.uid, c.name);
      const cur = rc && current(rc, sb) ? rc : undefined;
      // A container this kubelet adopted (it outlived the previous one) gets fresh probe workers.
      if (cur?.running && !this.prober.has(cur.id)) this.prober.add(cur, c);
      if (cur?.running) continue;
      if (cur && !(policy === 'Always' || (policy === 'OnFailure' && cur.exitCode !== 0))) continue;
      await this.start(c, rc, cur);
      if (this.bail) return;
    }
    this.publish();
    const phase = podPhase(this.pod, this.rec, this.isStatic);
    if (policy !== 'Always' && (phase === 'Succeeded' || phase === 'Failed')) this.complete();
  }

  /** A pod that ran to completion: what still runs (sidecars) is stopped and the pod is terminal. */
  private complete(): void {
    void this.terminate();
  }

  /** Starts (or restarts, behind the back-off) one container; false when it did not start. */
  private async start(
    c: Obj,
    rc: RuntimeContainer | undefined,
    cur: RuntimeContainer | undefined,
  ): Promise<boolean> {
    const { runtime, backoff, clock } = this.d;
    const key = `${this.uid}/${c.name}`;
    if (cur && !cur.running) {
      const finished = cur.finishedAt ?? clock.now();
      if (backoff.isInBackOffSince(key, finished)) {
        this.waiting.set(c.name, {
          reason: 'CrashLoopBackOff',
          message: `back-off ${goDuration(backoff.get(key))} restarting failed container=${c.name} pod=${this.fmtPod()}`,
        });
        this.event(
          c.name,
          'Warning',
          'BackOff',
          `Back-off restarting failed container ${c.name} in pod ${this.fmtPod()}`,
        );
        this.after(backoff.remaining(key, finished), () => this.requestSync());
        return false;
      }
      backoff.next(key, finished);
    }
    const init = (this.pod.spec?.initContainers ?? []).includes(c);
    const pulled = await this.d.images.ensure(
      this.pod,
      c,
      containerRef(this.pod, c.name, init),
      this.stop.signal,
    );
    if (this.bail) return false;
    if (!pulled.ok) {
      if (pulled.reason !== 'ContainerCreating')
        this.waiting.set(c.name, { reason: pulled.reason, message: pulled.message });
      if (pulled.retryMs !== undefined) this.after(pulled.retryMs, () => this.requestSync());
      return false;
    }
    if (!this.isStatic && !this.d.servicesSynced()) {
      const message = 'services have not yet been read at least once, cannot construct envvars';
      this.waiting.set(c.name, { reason: 'CreateContainerConfigError', message });
      this.event(c.name, 'Warning', 'Failed', `Error: ${message}`);
      this.after(1000, () => this.requestSync());
      return false;
    }
    this.waiting.delete(c.name);
    const started = await runtime.startContainer(
      this.pod as V1Pod,
      c as V1Container,
      rc ? rc.attempt + 1 : 0,
    );
    if (!started.running && started.reason === 'StartError') {
      this.event(c.name, 'Warning', 'Failed', `Error: ${started.logs.at(-1) ?? 'failed to start'}`);
      return false;
    }
    this.event(c.name, 'Normal', 'Created', `Created container: ${c.name}`);
    this.event(c.name, 'Normal', 'Started', `Started container ${c.name}`);
    if (this.bail) return false;
    this.prober.add(started, c);
    this.publish();
    return true;
  }

  /** Rebuilds the records from the runtime and tells the kubelet the status may have changed. */
  publish(): void {
    const sb = this.d.runtime.sandboxes.get(this.uid);
    this.rec.sandboxReady = !!sb && !this.rec.terminal;
    const fill = (list: Obj[], into: Map<string, ContainerRecord>) => {
      into.clear();
      for (const c of list) {
        const r = this.record(c, sb);
        if (r) into.set(c.name, r);
      }
    };
    fill(this.pod.spec?.initContainers ?? [], this.rec.init);
    fill(this.pod.spec?.containers ?? [], this.rec.containers);
    this.d.onChange(this);
  }

  private record(c: Obj, sb: Sandbox | undefined): ContainerRecord | undefined {
    const rc = this.d.runtime.latest(this.uid, c.name);
    const w = this.waiting.get(c.name);
    if (!rc)
      return w
        ? {
            name: c.name,
            image: c.image,
            imageID: '',
            state: { waiting: w },
            restartCount: 0,
            ready: false,
            started: false,
          }
        : undefined;
    const base = {
      name: c.name,
      image: rc.image,
      imageID: rc.imageID,
      containerID: `containerd://${rc.id}`,
      restartCount: rc.attempt,
    };
    const prev = this.d.runtime.previous(rc);
    if (rc.running && (!sb || current(rc, sb) || this.rec.terminal)) {
      const { started, ready } = this.prober.state(rc);
      return {
        ...base,
        state: { running: { startedAt: rfc3339(rc.startedAt) } },
        lastState: prev ? { terminated: terminatedOf(prev) } : undefined,
        ready,
        started,
      };
    }
    const term = terminatedOf(rc);
    if (w)
      return {
        ...base,
        state: { waiting: w },
        lastState: { terminated: term },
        ready: false,
        started: false,
      };
    if (sb && !current(rc, sb) && !this.rec.terminal) {
      const reason = (this.pod.spec?.initContainers ?? []).length ? 'PodInitializing' : 'ContainerCreating';
      return {
        ...base,
        containerID: undefined,
        image: c.image,
        imageID: '',
        state: { waiting: { reason } },
        lastState: { terminated: term },
        ready: false,
        started: false,
      };
    }
    return {
      ...base,
      state: { terminated: term },
      lastState: prev ? { terminated: terminatedOf(prev) } : undefined,
      ready: false,
      started: false,
    };
  }
}

/** Started in the pod's present sandbox (a container from before a reboot is not). */
function current(rc: RuntimeContainer, sb: Sandbox | undefined): boolean {
  return !!sb && rc.startedAt >= sb.createdAt;
}

function terminatedOf(rc: RuntimeContainer): Terminated {
  const t: Terminated = {
    exitCode: rc.exitCode ?? 0,
    reason: rc.reason ?? 'Completed',
    startedAt: rfc3339(rc.startedAt),
    finishedAt: rfc3339(rc.finishedAt ?? rc.startedAt),
    containerID: `containerd://${rc.id}`,
  };
  return t;
}
