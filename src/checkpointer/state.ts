/**
 * The per-checkpoint state machine (reference §5.4) as pure functions of the state, what the
 * sources said this iteration, and the time. Our fixes (DESIGN.md §6) are in the conditions:
 * `running` is three-valued (an unknown runtime holds the state and never activates), counts a
 * running pod of the same controller (a DaemonSet rollout's new pod), and a checkpoint whose
 * controller still has a pod here is never removed until a newer checkpoint has replaced it.
 */

export type CheckpointState =
  | { kind: 'none' }
  | { kind: 'inactive' }
  | { kind: 'inactive-grace'; until: number }
  | { kind: 'active' }
  | { kind: 'active-grace'; until: number }
  | { kind: 'self' }
  | { kind: 'self-grace'; until: number }
  | { kind: 'remove'; reason: 'gone' | 'superseded' };

export type StateKind = CheckpointState['kind'];
export type Action = 'none' | 'stop' | 'start' | 'remove';

export interface Conditions {
  /** A: the API answered this iteration. */
  api: boolean;
  /** P: the parent is in the API's list of this node's pods (read only when `api`). */
  parentInApi: boolean;
  /** R: the parent, or a pod of the same controller, runs per the runtime; `unknown` if that cannot be told. */
  running: boolean | 'unknown';
  /** L: the parent is in the kubelet's /pods. Only admits new pods; never blocks removal. */
  local: boolean;
  /** The parent's controller still has a pod on this node in the API: a checkpoint gone from the API is kept. */
  controllerHasPod: boolean;
  /** The parent is gone from the API and a checkpoint of a newer pod of its controller exists: remove it now. */
  superseded: boolean;
}

export const NONE: CheckpointState = { kind: 'none' };
export const INACTIVE: CheckpointState = { kind: 'inactive' };
export const ACTIVE: CheckpointState = { kind: 'active' };
export const SELF: CheckpointState = { kind: 'self' };
const REMOVE_GONE: CheckpointState = { kind: 'remove', reason: 'gone' };
const REMOVE_SUPERSEDED: CheckpointState = { kind: 'remove', reason: 'superseded' };

/** What a state asks of the disk: stop = no active manifest, start = an active manifest, remove = nothing left. */
export function actionOf(state: CheckpointState): Action {
  switch (state.kind) {
    case 'none':
      return 'none';
    case 'inactive':
    case 'inactive-grace':
      return 'stop';
    case 'active':
    case 'active-grace':
    case 'self':
    case 'self-grace':
      return 'start';
    case 'remove':
      return 'remove';
  }
}

/** The next state of one checkpoint. `remove` is terminal. */
export function next(state: CheckpointState, c: Conditions, now: number, graceMs: number): CheckpointState {
  const parentGone = c.api && !c.parentInApi;
  // Removal once the grace period is over, unless the parent's controller still has a pod here
  // that has not yet replaced this checkpoint (a bad update must not take the last good copy).
  const expire = <S extends CheckpointState & { until: number }>(s: S): CheckpointState =>
    now >= s.until && !c.controllerHasPod ? REMOVE_GONE : s;

  switch (state.kind) {
    case 'remove':
      return state;
    case 'none':
      // A new pod is checkpointed only once seen locally; then it is judged like an inactive one.
      return c.running === true || c.local ? next(INACTIVE, c, now, graceMs) : state;
    case 'inactive':
      if (!parentGone) return c.running === false ? ACTIVE : INACTIVE;
      if (c.superseded) return REMOVE_SUPERSEDED;
      return expire({ kind: 'inactive-grace', until: now + graceMs });
    case 'inactive-grace':
      // While the API is down nothing is removed; the node needs its pods.
      if (!c.api) return c.running === false ? ACTIVE : state;
      if (c.parentInApi) return c.running === false ? ACTIVE : INACTIVE;
      if (c.superseded) return REMOVE_SUPERSEDED;
      return expire(state);
    case 'active':
      if (!parentGone) return c.running === true ? INACTIVE : ACTIVE;
      if (c.superseded) return REMOVE_SUPERSEDED;
      // A new pod of the same controller runs (perhaps blocked on the lock this checkpoint holds):
      // step down at once, or the rollout waits out the whole grace period.
      if (c.running === true) return expire({ kind: 'inactive-grace', until: now + graceMs });
      return expire({ kind: 'active-grace', until: now + graceMs });
    case 'active-grace':
      if (!c.api) {
        if (c.running === true) return INACTIVE;
        return c.running === false && now >= state.until ? ACTIVE : state;
      }
      if (c.parentInApi) return c.running === true ? INACTIVE : ACTIVE;
      if (c.superseded) return REMOVE_SUPERSEDED;
      if (c.running === true) return expire({ kind: 'inactive-grace', until: state.until });
      return expire(state);
    case 'self':
      if (!parentGone) return state;
      if (c.superseded) return REMOVE_SUPERSEDED;
      return expire({ kind: 'self-grace', until: now + graceMs });
    case 'self-grace':
      if (!c.api) return state;
      if (c.parentInApi) return SELF;
      if (c.superseded) return REMOVE_SUPERSEDED;
      return expire(state);
  }
}

export interface Plan {
  /** The states after this iteration (removed ones are gone). */
  states: Map<string, CheckpointState>;
  /** Ids whose active manifest must be written; the checkpointer's own first. */
  starts: string[];
  /** Ids whose active manifest must be deleted. */
  stops: string[];
  /** Ids whose every file must be deleted; the checkpointer's own last. */
  removes: string[];
}

/**
 * One iteration of transitions (reference §5.4 `process`). The checkpointer's own entry goes
 * first and is started every time (its static copy must always exist); when its own pod is gone
 * from the API past the grace period, everything is removed and itself last. Other entries emit
 * an id only when their action changes; lists are sorted so that a run is reproducible.
 */
export function plan(
  states: ReadonlyMap<string, CheckpointState>,
  conditions: (id: string) => Conditions,
  selfId: string,
  now: number,
  graceMs: number,
): Plan {
  const out: Plan = { states: new Map(states), starts: [], stops: [], removes: [] };
  let removeSelf = false;
  const selfState = states.get(selfId);
  if (selfState) {
    const to = next(selfState, conditions(selfId), now, graceMs);
    if (to.kind === 'remove' && to.reason === 'gone') {
      const others = [...states].filter(([id, s]) => id !== selfId && s.kind !== 'none').map(([id]) => id);
      return { states: new Map(), starts: [], stops: [], removes: [...others.sort(), selfId] };
    }
    if (to.kind === 'remove') {
      removeSelf = true;
      out.states.delete(selfId);
    } else {
      out.states.set(selfId, to);
      if (actionOf(to) === 'start') out.starts.push(selfId);
    }
  }
  for (const id of [...states.keys()].sort()) {
    if (id === selfId) continue;
    const from = states.get(id)!;
    const to = next(from, conditions(id), now, graceMs);
    const action = actionOf(to);
    if (action !== actionOf(from)) {
      if (action === 'start') out.starts.push(id);
      else if (action === 'stop') out.stops.push(id);
      else if (action === 'remove') out.removes.push(id);
    }
    if (to.kind === 'remove') out.states.delete(id);
    else out.states.set(id, to);
  }
  if (removeSelf) out.removes.push(selfId);
  return out;
}
