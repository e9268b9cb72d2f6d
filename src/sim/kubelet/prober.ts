/**
 * The kubelet's prober (pkg/kubelet/prober): a worker per declared probe of a running container,
 * probing at periodSeconds once initialDelaySeconds have passed, a result flipping only after
 * successThreshold / failureThreshold answers in a row. Without a startup probe a container is
 * started at once; without a readiness probe it is ready once started (and readiness is not asked
 * before it has started). A liveness failure asks the pod worker to kill the container. The
 * answers come from the runner: ready() for readiness, live() for liveness, and live() (else
 * ready()) for startup.
 */
import type { V1Probe } from '@kubernetes/client-node';
import type { Clock, Timer } from './clock.js';
import type { RuntimeContainer } from './container-runtime.js';

type Kind = 'readiness' | 'liveness' | 'startup';

interface ProbeWorker {
  kind: Kind;
  spec: V1Probe;
  result: boolean;
  streak: number;
  timer?: Timer;
}

interface ContainerProbes {
  c: RuntimeContainer;
  workers: Map<Kind, ProbeWorker>;
}

export interface ProberHooks {
  /** A result changed: the pod's status must be recomputed. */
  onChange(): void;
  /** A probe failed (the kubelet's "Unhealthy" event). */
  onFailure(c: RuntimeContainer, kind: Kind): void;
  /** Liveness or startup failed for good: kill the container. */
  onKill(c: RuntimeContainer, kind: Kind): void;
}

export class Prober {
  private readonly containers = new Map<string, ContainerProbes>();

  constructor(
    private readonly clock: Clock,
    private readonly hooks: ProberHooks,
  ) {}

  /** Starts the probe workers of a container that just started. */
  add(
    c: RuntimeContainer,
    spec: { readinessProbe?: V1Probe; livenessProbe?: V1Probe; startupProbe?: V1Probe },
  ): void {
    const workers = new Map<Kind, ProbeWorker>();
    // Initial results: readiness and startup fail until they succeed, liveness succeeds until it fails.
    if (spec.startupProbe)
      workers.set('startup', { kind: 'startup', spec: spec.startupProbe, result: false, streak: 0 });
    if (spec.readinessProbe)
      workers.set('readiness', { kind: 'readiness', spec: spec.readinessProbe, result: false, streak: 0 });
    if (spec.livenessProbe)
      workers.set('liveness', { kind: 'liveness', spec: spec.livenessProbe, result: true, streak: 0 });
    const entry = { c, workers };
    this.containers.set(c.id, entry);
    for (const w of workers.values()) this.schedule(entry, w, (w.spec.initialDelaySeconds ?? 0) * 1000);
  }

  has(id: string): boolean {
    return this.containers.has(id);
  }

  remove(id: string): void {
    const e = this.containers.get(id);
    if (!e) return;
    for (const w of e.workers.values()) w.timer?.cancel();
    this.containers.delete(id);
  }

  stopAll(): void {
    for (const id of [...this.containers.keys()]) this.remove(id);
  }

  /** started and ready as the prober manager reports them into the container status. */
  state(c: RuntimeContainer): { started: boolean; ready: boolean } {
    if (!c.running) return { started: false, ready: false };
    const e = this.containers.get(c.id);
    const startup = e?.workers.get('startup');
    const started = startup ? startup.result : true;
    if (!started) return { started, ready: false };
    const readiness = e?.workers.get('readiness');
    return { started, ready: readiness ? readiness.result : true };
  }

  private schedule(e: ContainerProbes, w: ProbeWorker, delayMs: number): void {
    w.timer = this.clock.after(delayMs, () => void this.probe(e, w));
  }

  private async probe(e: ContainerProbes, w: ProbeWorker): Promise<void> {
    if (this.containers.get(e.c.id) !== e || !e.c.running) return;
    const period = (w.spec.periodSeconds ?? 10) * 1000;
    const startup = e.workers.get('startup');
    // Readiness and liveness wait for the startup probe; a startup probe stops once it succeeded.
    if (w.kind !== 'startup' && startup && !startup.result) return this.schedule(e, w, period);
    if (w.kind === 'startup' && w.result) return;
    let ok: boolean;
    try {
      const h = e.c.handle;
      ok = !h
        ? false
        : w.kind === 'readiness'
          ? await h.ready()
          : await (h.live ? h.live() : w.kind === 'startup' ? h.ready() : true);
    } catch {
      ok = false;
    }
    if (this.containers.get(e.c.id) !== e || !e.c.running) return;
    if (!ok) this.hooks.onFailure(e.c, w.kind);
    w.streak = ok === w.result ? 0 : w.streak + 1;
    const threshold = ok ? (w.spec.successThreshold ?? 1) : (w.spec.failureThreshold ?? 3);
    if (ok !== w.result && w.streak >= threshold) {
      w.result = ok;
      w.streak = 0;
      this.hooks.onChange();
      if (!ok && w.kind !== 'readiness') {
        // A container killed for liveness restarts with fresh probe results.
        this.hooks.onKill(e.c, w.kind);
        return;
      }
    }
    this.schedule(e, w, period);
  }
}
