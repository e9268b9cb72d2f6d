/**
 * The state machine on its own: v0.14's TestAllowedStateTransitions (reference §5.7) over every
 * combination of inputs, widened to our three-valued `running` and the two new inputs, and the
 * properties the fixes promise whatever the inputs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  actionOf,
  next,
  plan,
  type CheckpointState,
  type Conditions,
  type StateKind,
} from '../../src/checkpointer/state.js';

const GRACE = 1000;
const NOW = 0;

const states: CheckpointState[] = [
  { kind: 'none' },
  { kind: 'inactive' },
  { kind: 'inactive-grace', until: NOW + GRACE },
  { kind: 'inactive-grace', until: NOW },
  { kind: 'active' },
  { kind: 'active-grace', until: NOW + GRACE },
  { kind: 'active-grace', until: NOW },
  { kind: 'self' },
  { kind: 'self-grace', until: NOW + GRACE },
  { kind: 'self-grace', until: NOW },
  { kind: 'remove', reason: 'gone' },
];

function* allConditions(): Generator<Conditions> {
  for (const api of [true, false])
    for (const parentInApi of [true, false])
      for (const running of [true, false, 'unknown'] as const)
        for (const local of [true, false])
          for (const controllerHasPod of [true, false])
            for (const superseded of [true, false])
              yield { api, parentInApi, running, local, controllerHasPod, superseded };
}

// v0.14's table, with our self-grace in place of its active-grace for the self entry and
// `remove` reachable by supersession.
const allowed: Record<StateKind, StateKind[]> = {
  self: ['self', 'self-grace', 'remove'],
  'self-grace': ['self', 'self-grace', 'remove'],
  none: ['none', 'inactive', 'inactive-grace', 'active', 'remove'],
  inactive: ['inactive', 'inactive-grace', 'active', 'remove'],
  'inactive-grace': ['inactive', 'inactive-grace', 'active', 'remove'],
  active: ['active', 'active-grace', 'inactive', 'inactive-grace', 'remove'],
  'active-grace': ['active-grace', 'active', 'inactive', 'inactive-grace', 'remove'],
  remove: ['remove'],
};

describe('checkpoint state machine', () => {
  it('only makes the transitions allowed from each state, for every input', () => {
    for (const s of states)
      for (const c of allConditions())
        assert.ok(allowed[s.kind].includes(next(s, c, NOW, GRACE).kind), `${s.kind} ${JSON.stringify(c)}`);
  });

  it('v0.14 (no unknowns, no controller): a brand-new pod only in the API is not admitted', () => {
    const c = {
      api: true,
      parentInApi: true,
      running: false,
      local: false,
      controllerHasPod: false,
      superseded: false,
    } as const;
    assert.equal(next({ kind: 'none' }, c, NOW, GRACE).kind, 'none');
    assert.equal(next({ kind: 'none' }, { ...c, local: true }, NOW, GRACE).kind, 'active');
  });

  it('never starts a checkpoint because of a running or unknown parent', () => {
    for (const s of states)
      for (const c of allConditions()) {
        if (c.running === false) continue;
        const to = next(s, c, NOW, GRACE);
        if (actionOf(to) === 'start')
          assert.equal(actionOf(s), 'start', `${s.kind} → ${to.kind} ${JSON.stringify(c)}`);
      }
  });

  it('never stops an active checkpoint because the runtime is unknown', () => {
    for (const s of states.filter((x) => actionOf(x) === 'start'))
      for (const c of allConditions()) {
        if (c.running !== 'unknown' || (c.api && !c.parentInApi)) continue;
        assert.equal(actionOf(next(s, c, NOW, GRACE)), 'start', `${s.kind} ${JSON.stringify(c)}`);
      }
  });

  it('removes nothing while the API is down', () => {
    for (const s of states.filter((x) => x.kind !== 'remove'))
      for (const c of allConditions())
        if (!c.api) assert.notEqual(next(s, c, NOW, GRACE).kind, 'remove', `${s.kind} ${JSON.stringify(c)}`);
  });

  it('never removes a checkpoint whose controller still has an unproved pod here, however long it waits', () => {
    for (const s of states.filter((x) => x.kind !== 'remove'))
      for (const c of allConditions()) {
        if (!c.controllerHasPod || c.superseded) continue;
        assert.notEqual(
          next(s, c, NOW + 100 * GRACE, GRACE).kind,
          'remove',
          `${s.kind} ${JSON.stringify(c)}`,
        );
      }
  });

  it('steps an active checkpoint down at once when a pod of its controller runs, grace or not', () => {
    const c: Conditions = {
      api: true,
      parentInApi: false,
      running: true,
      local: false,
      controllerHasPod: true,
      superseded: false,
    };
    assert.equal(actionOf(next({ kind: 'active' }, c, NOW, 3600_000)), 'stop');
    assert.equal(actionOf(next({ kind: 'active-grace', until: NOW + 3600_000 }, c, NOW, 3600_000)), 'stop');
  });

  it('removes a superseded checkpoint without waiting for the grace period', () => {
    const c: Conditions = {
      api: true,
      parentInApi: false,
      running: false,
      local: false,
      controllerHasPod: true,
      superseded: true,
    };
    for (const s of states.filter((x) => !['none', 'remove'].includes(x.kind)))
      assert.deepEqual(next(s, c, NOW, 3600_000), { kind: 'remove', reason: 'superseded' });
  });

  it('plan: its own removal for being gone takes every checkpoint with it, itself last', () => {
    const c = (id: string): Conditions => ({
      api: true,
      parentInApi: id !== 'ns/self',
      running: false,
      local: false,
      controllerHasPod: false,
      superseded: false,
    });
    const p = plan(
      new Map<string, CheckpointState>([
        ['ns/self', { kind: 'self-grace', until: NOW }],
        ['ns/b', { kind: 'active' }],
        ['ns/a', { kind: 'inactive' }],
        ['ns/new', { kind: 'none' }],
      ]),
      c,
      'ns/self',
      NOW,
      GRACE,
    );
    assert.deepEqual(p, { states: new Map(), starts: [], stops: [], removes: ['ns/a', 'ns/b', 'ns/self'] });
  });

  it('plan: a superseded self removes only itself, after the others', () => {
    const c = (id: string): Conditions => ({
      api: true,
      parentInApi: id !== 'ns/self',
      running: true,
      local: false,
      controllerHasPod: true,
      superseded: id === 'ns/self',
    });
    const p = plan(
      new Map<string, CheckpointState>([
        ['ns/self', { kind: 'self' }],
        ['ns/a', { kind: 'active' }],
      ]),
      c,
      'ns/self',
      NOW,
      GRACE,
    );
    assert.deepEqual(
      [p.starts, p.stops, p.removes, [...p.states.keys()]],
      [[], ['ns/a'], ['ns/self'], ['ns/a']],
    );
  });
});
