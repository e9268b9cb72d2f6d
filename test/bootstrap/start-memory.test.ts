// `start --simulate` on a machine without etcd: the memory back end. The shim and every stand-in
// apiserver serve one in-process store in turn, the pod's real lockexec still taking the hand-off
// lock for the stand-in, so the sequence and both hand-offs are the same as on etcd.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runStart, type StartSummary } from '../../src/bootstrap/start.js';
import {
  assertControlPlaneReady,
  assertNoWriteLost,
  rehearsal,
  startOptions,
  startWatched,
  type RehearsalEnv,
  type WatchedStart,
} from './support.js';

describe('start, rehearsed on the memory back end', () => {
  let env: RehearsalEnv;
  let summary: StartSummary;
  let lockSeen: WatchedStart['lockSeen'];
  let writes: WatchedStart['writes'];

  before(async () => {
    env = await rehearsal({ backend: 'memory' });
    ({ summary, lockSeen, writes } = await startWatched(env));
  });
  after(async () => {
    await env?.stop();
  });

  it('starts no etcd and ends with the self-hosted control plane Ready, the bootstrap pods gone', async () => {
    assert.equal(env.etcd, undefined);
    assert.ok(env.storage, 'no memory store');
    await assertControlPlaneReady(env);
    assert.deepEqual(
      summary.gaps.map((g) => g.name),
      ['hand-off 1', 'hand-off 2'],
    );
  });

  it('hands over through the real lock: a lockexec was seen waiting, and never two holders', () => {
    assert.ok(lockSeen.samples > 100, `sampled only ${lockSeen.samples} times`);
    assert.ok(lockSeen.sawWaiter, 'no process was ever seen waiting on the hand-off lock');
    assert.equal(lockSeen.maxHolders, 1);
  });

  it('loses no acknowledged write across both hand-offs', async () => {
    await assertNoWriteLost(env, writes);
  });

  it('resumes on a second run: the API answers, nothing is created', async () => {
    const again = await runStart(startOptions(env), { quiet: true });
    assert.equal(again.resumed, true);
    assert.deepEqual(
      again.objects.filter((o) => o.outcome === 'created'),
      [],
    );
  });
});
