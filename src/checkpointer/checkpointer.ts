/**
 * The checkpointer's iteration (reference §5.2): ask the sources and the disk, bring the in-memory
 * states up to date, write checkpoints of the parents seen locally (a replacement only once the
 * new version has proved itself), run the state machine, then stop → start → remove, its own
 * checkpoint last. Every input is injected: sources, store, clock; nothing here sleeps but the loop.
 */
import { createHash } from 'node:crypto';
import type { V1Pod } from '@kubernetes/client-node';
import { BootkubeError } from '../errors.js';
import { abortableSleep } from './abort.js';
import { checkpointControllerOf, controllerOf, podUserAndGroup, selfId } from './pods.js';
import { proveItself } from './proof.js';
import { resolveReferences } from './references.js';
import { manifestBytes, sanitizeCheckpointPod } from './sanitize.js';
import { plan, SELF, ACTIVE, INACTIVE, NONE, type CheckpointState, type Conditions } from './state.js';
import type { CheckpointStore, StoredManifest } from './store.js';
import type {
  CheckpointerIdentity,
  HandoffLockInspector,
  Logger,
  ObjectFetcher,
  Observed,
  PodSource,
  ReadyzProbe,
  RuntimeSource,
} from './types.js';
import { NodeView } from './view.js';
import { referencesOf } from './volumes.js';

/** How long after its activation a checkpoint whose parent is being started counts as settling. */
const SETTLE_WINDOW_MS = 30_000;

export interface CheckpointerDeps {
  identity: CheckpointerIdentity;
  api: PodSource;
  kubelet: PodSource;
  runtime: RuntimeSource;
  objects: ObjectFetcher;
  store: CheckpointStore;
  lock: HandoffLockInspector;
  readyz: ReadyzProbe;
  log: Logger;
  /** Milliseconds since the epoch. */
  clock: () => number;
  /** How long a checkpoint outlives its parent's absence from the API (reference: 1 m; rendered 5 m). */
  gracePeriodMs: number;
  /** An answer older than this is as good as none (default 30 s). */
  maxSourceAgeMs?: number;
  /** Secrets, config maps and tokens are read again at least this often (default 1 min, as v0.14). */
  refreshIntervalMs?: number;
}

export interface IterationReport {
  sources: { api: string; kubelet: string; runtime: string };
  /** Ids whose inactive manifest was (re)written. */
  written: string[];
  /** New versions not written yet because they have not proved themselves. */
  waiting: Array<{ id: string; why: string }>;
  starts: string[];
  stops: string[];
  removes: string[];
  failed: Array<{ id: string; why: string }>;
  /**
   * Active checkpoints whose parent the API lists and the kubelet has admitted but not started
   * yet: the checkpoint stands in for a pod that is about to run, and is stopped as soon as it does.
   */
  settling: string[];
}

export interface LoopOptions {
  intervalMs: number;
  /**
   * The pause after an iteration that left a checkpoint settling (see IterationReport.settling),
   * so a copy started for a parent the kubelet is starting is stopped within this, not a whole
   * interval later (default: min(intervalMs, 500 ms)).
   */
  settleIntervalMs?: number;
  signal: AbortSignal;
  /** Waits `ms` or until `signal` aborts (tests inject one that does not sleep). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export class Checkpointer {
  private states = new Map<string, CheckpointState>();
  private readonly refreshed = new Map<string, { fingerprint: string; at: number }>();
  private readonly sourceStates = new Map<string, string>();
  private readonly said = new Map<string, string>();
  /** When each active checkpoint became active (for the settle interval). */
  private readonly activatedAt = new Map<string, number>();
  readonly selfId: string;

  constructor(private readonly deps: CheckpointerDeps) {
    this.selfId = selfId(deps.identity);
  }

  /** The state of every known checkpoint (for diagnostics and tests). */
  get checkpointStates(): ReadonlyMap<string, CheckpointState> {
    return this.states;
  }

  /** One iteration at time `now`. Throws only when the checkpoint dirs cannot be read. */
  async runOnce(
    now: number = this.deps.clock(),
    signal: AbortSignal = new AbortController().signal,
  ): Promise<IterationReport> {
    const { deps } = this;
    const [api, kubelet, runtime, active, inactive] = await Promise.all([
      this.fresh(deps.api.name, deps.api.list(signal), now),
      this.fresh(deps.kubelet.name, deps.kubelet.list(signal), now),
      this.fresh(deps.runtime.name, deps.runtime.list(signal), now),
      deps.store.readActive(),
      deps.store.readInactive(),
    ]);
    for (const [id, m] of active) {
      if (inactive.has(id)) continue;
      await deps.store.restoreInactive(m);
      inactive.set(id, m);
    }
    const view = new NodeView({ api, kubelet, runtime, active, inactive });
    const describe = (r: Observed<object>) => (r.state === 'ok' ? 'ok' : `unknown: ${r.reason}`);
    const report: IterationReport = {
      sources: { api: describe(api), kubelet: describe(kubelet), runtime: describe(runtime) },
      written: [],
      waiting: [],
      starts: [],
      stops: [],
      removes: [],
      failed: [],
      settling: [],
    };
    this.update(view, active, inactive);

    const inactiveIds = new Set(inactive.keys());
    for (const [id, state] of [...this.states].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const parent = view.parent(id);
      // A new pod is checkpointed once seen locally (the state machine admits it the same way).
      if (!parent || (state.kind === 'none' && view.running(id) !== true && !view.local(id))) continue;
      if (await this.checkpoint(id, parent, view, active, inactive, now, signal, report)) inactiveIds.add(id);
    }

    const conditions = (id: string): Conditions => ({
      api: view.apiOk,
      parentInApi: view.parentInApi(id),
      running: view.running(id),
      local: view.local(id),
      controllerHasPod: view.controllerHasPod(id),
      superseded: view.superseded(id, inactiveIds),
    });
    // A pod whose checkpoint could not be written (not proved yet, a failure) is not admitted:
    // only what is on disk can be started.
    const unwritten = [...this.states].filter(([id, s]) => s.kind === 'none' && !inactiveIds.has(id));
    const admitted = new Map([...this.states].filter(([id]) => !unwritten.some(([u]) => u === id)));
    const p = plan(admitted, conditions, this.selfId, now, deps.gracePeriodMs);
    this.states = new Map([...p.states, ...unwritten]);
    if (p.removes.at(-1) === this.selfId && p.removes.length > 1 && !p.states.size) {
      deps.log.warn(
        `own pod ${this.selfId} is no longer scheduled here: removing every checkpoint, this one last`,
      );
    }
    await this.apply('stop', p.stops, report.stops, report, async (id) =>
      (await deps.store.stop(id)) ? 'stopped' : undefined,
    );
    await this.apply('start', p.starts, report.starts, report, async (id) => {
      const outcome = await deps.store.start(id);
      if (outcome === 'missing') deps.log.warn(`cannot start ${id}: no inactive checkpoint on disk`);
      return outcome === 'written' ? 'started' : undefined;
    });
    await this.apply('remove', p.removes, report.removes, report, async (id) => {
      await deps.store.remove(id);
      this.refreshed.delete(id);
      return 'removed';
    });
    for (const [id, s] of this.states) {
      if (s.kind !== 'active' || id === this.selfId) {
        this.activatedAt.delete(id);
        continue;
      }
      if (!this.activatedAt.has(id)) this.activatedAt.set(id, now);
      // Only for a while: a parent that never starts (a bad update crash-looping) is not polled for ever.
      const recent = now - this.activatedAt.get(id)! < SETTLE_WINDOW_MS;
      if (recent && view.apiOk && view.parentInApi(id) && view.local(id)) report.settling.push(id);
    }
    return report;
  }

  /** Runs iterations every `intervalMs` until `signal` aborts; returns once the iteration under way has finished. */
  async runLoop(opts: LoopOptions): Promise<void> {
    const sleep = opts.sleep ?? abortableSleep;
    const settleMs = opts.settleIntervalMs ?? Math.min(opts.intervalMs, 500);
    while (!opts.signal.aborted) {
      let settling = false;
      try {
        settling = (await this.runOnce(this.deps.clock(), opts.signal)).settling.length > 0;
      } catch (err) {
        if (opts.signal.aborted) break;
        this.deps.log.warn(
          `iteration failed: ${err instanceof BootkubeError ? err.userMessage() : (err as Error).message}`,
        );
      }
      await sleep(settling ? settleMs : opts.intervalMs, opts.signal);
    }
  }

  /** Brings the in-memory states up to date (reference §5.3): disk, then the kubelet's and the API's parents. */
  private update(
    view: NodeView,
    active: Map<string, StoredManifest>,
    inactive: Map<string, StoredManifest>,
  ): void {
    const seen = new Set<string>();
    const add = (id: string, state: CheckpointState) => {
      seen.add(id);
      if (!this.states.has(id)) this.states.set(id, id === this.selfId ? SELF : state);
    };
    for (const id of active.keys()) add(id, ACTIVE);
    for (const id of inactive.keys()) add(id, INACTIVE);
    for (const id of [...view.kubeletParents.keys(), ...view.apiParents.keys()]) add(id, NONE);
    if (this.states.get(this.selfId)?.kind === 'none') this.states.set(this.selfId, SELF);
    // A pod never admitted and now gone from every source is forgotten.
    for (const [id, s] of this.states) if (s.kind === 'none' && !seen.has(id)) this.states.delete(id);
  }

  /** Writes (or refreshes) the checkpoint of one parent; true if its inactive manifest is on disk afterwards. */
  private async checkpoint(
    id: string,
    parent: V1Pod,
    view: NodeView,
    active: Map<string, StoredManifest>,
    inactive: Map<string, StoredManifest>,
    now: number,
    signal: AbortSignal,
    report: IterationReport,
  ): Promise<boolean> {
    const { deps } = this;
    const onDisk = inactive.get(id);
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([parent.metadata?.uid, parent.metadata?.labels, parent.spec]))
      .digest('hex');
    const last = this.refreshed.get(id);
    const refreshMs = deps.refreshIntervalMs ?? 60_000;
    if (onDisk && last?.fingerprint === fingerprint && now - last.at < refreshMs) return true;
    const fail = (why: string) => {
      report.failed.push({ id, why });
      this.say(id, `checkpoint of ${id} not written: ${why}`, 'warn');
      return onDisk !== undefined;
    };

    const refs = referencesOf(parent);
    if (!view.apiOk && refs.secrets.length + refs.configMaps.length + refs.tokens.length > 0) {
      return onDisk !== undefined; // its secrets can only come from the API: keep what is on disk
    }
    let cp;
    let owner;
    try {
      const readToken = (key: string) => {
        const [volume, ...path] = key.split('/');
        return deps.store.readDirFile('secrets', id, `_volume-${volume}`, path.join('/'));
      };
      const resolved = await resolveReferences(parent, refs, deps.objects, readToken, now, signal);
      cp = sanitizeCheckpointPod(parent, resolved);
      owner = podUserAndGroup(parent);
    } catch (err) {
      return fail(err instanceof BootkubeError ? err.userMessage() : (err as Error).message);
    }
    const bytes = manifestBytes(cp.manifest);
    const changed = onDisk?.bytes !== bytes;
    if (changed && (onDisk || this.controllerHasCheckpoint(id, parent, active, inactive))) {
      const proof = await proveItself(parent, view, deps, signal);
      if (proof.proof !== 'proved') {
        report.waiting.push({ id, why: proof.why });
        this.say(id, `new version of ${id} not checkpointed until it proves itself: ${proof.why}`, 'info');
        return onDisk !== undefined;
      }
      deps.log.info(
        `${id} proved itself: it replaces the checkpoint of its ${controllerOf(parent)?.kind ?? 'pod'}`,
      );
    }
    try {
      await deps.store.writeDirs(id, cp.dirs, owner);
      if (changed && (await deps.store.writeInactive(cp.manifest))) report.written.push(id);
    } catch (err) {
      return fail((err as Error).message);
    }
    this.refreshed.set(id, { fingerprint, at: now });
    this.said.delete(id);
    return true;
  }

  /** Logs a message about `id` once, until it changes (a pod that keeps failing must not flood the log). */
  private say(id: string, message: string, level: 'info' | 'warn'): void {
    if (this.said.get(id) === message) return;
    this.said.set(id, message);
    this.deps.log[level](message);
  }

  /** Another checkpoint on disk copies a pod of the same controller: a new pod is then a replacement. */
  private controllerHasCheckpoint(
    id: string,
    parent: V1Pod,
    active: Map<string, StoredManifest>,
    inactive: Map<string, StoredManifest>,
  ): boolean {
    const uid = controllerOf(parent)?.uid;
    if (!uid) return false;
    return [...active.values(), ...inactive.values()].some(
      (m) => m.id !== id && checkpointControllerOf(m.pod)?.uid === uid,
    );
  }

  /** Runs one kind of effect over `ids` in order; a failure is reported and the others still run. */
  private async apply(
    what: string,
    ids: string[],
    done: string[],
    report: IterationReport,
    effect: (id: string) => Promise<string | undefined>,
  ): Promise<void> {
    for (const id of ids) {
      try {
        const changed = await effect(id);
        if (changed) this.deps.log.info(`${changed} checkpoint ${id}`);
        done.push(id);
      } catch (err) {
        report.failed.push({ id, why: `${what}: ${(err as Error).message}` });
        this.deps.log.warn(`${what} checkpoint ${id} failed: ${(err as Error).message}`);
      }
    }
  }

  /** A source's answer, `unknown` if it threw or is older than maxSourceAgeMs; logs when a source changes state. */
  private async fresh<T extends Observed<object>>(
    name: string,
    answer: Promise<T>,
    now: number,
  ): Promise<T | { state: 'unknown'; reason: string }> {
    let result: T | { state: 'unknown'; reason: string } = await answer.catch((err: Error) => ({
      state: 'unknown' as const,
      reason: err.message,
    }));
    const maxAge = this.deps.maxSourceAgeMs ?? 30_000;
    if (result.state === 'ok' && now - result.observedAt > maxAge) {
      result = {
        state: 'unknown',
        reason: `stale: its answer is ${Math.round((now - result.observedAt) / 1000)} s old`,
      };
    }
    const summary = result.state === 'ok' ? 'ok' : `unknown (${result.reason})`;
    if (this.sourceStates.get(name) !== summary) {
      this.sourceStates.set(name, summary);
      if (result.state === 'ok') this.deps.log.info(`pod source ${name}: ${summary}`);
      else this.deps.log.warn(`pod source ${name}: ${summary}`);
    }
    return result;
  }
}
