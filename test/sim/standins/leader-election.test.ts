// Leader election on a Lease as client-go runs it, on a fake clock and an in-memory Lease: no sleeping.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObj } from '../../../src/sim/standins/client/client.js';
import { KubeApiError } from '../../../src/sim/standins/errors.js';
import {
  microTime,
  runLeaderElection,
  type Clock,
  type LeaderElectionConfig,
  type LeaseStore,
} from '../../../src/sim/standins/leader-election.js';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

class FakeClock implements Clock {
  t = Date.UTC(2025, 0, 1) + 0.123456;
  private sleepers: { at: number; resolve: () => void }[] = [];
  now(): number {
    return this.t;
  }
  sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        signal.removeEventListener('abort', abort);
        resolve();
      };
      const s = { at: this.t + ms, resolve: wake };
      const abort = (): void => {
        this.sleepers = this.sleepers.filter((x) => x !== s);
        wake();
      };
      this.sleepers.push(s);
      signal.addEventListener('abort', abort, { once: true });
    });
  }
  /** Moves time forward, waking each sleeper at its moment and letting the loops run in between. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await flush();
    for (;;) {
      this.sleepers.sort((a, b) => a.at - b.at);
      const next = this.sleepers[0];
      if (!next || next.at > end) break;
      this.sleepers.shift();
      this.t = next.at;
      next.resolve();
      await flush();
    }
    this.t = end;
    await flush();
  }
}

/** One Lease with resourceVersion compare-and-swap, as the API server keeps it. */
class MemoryLease implements LeaseStore {
  lease?: KObj;
  rv = 0;
  failUpdates = false;
  async get(): Promise<KObj | undefined> {
    return this.lease && structuredClone(this.lease);
  }
  async create(lease: KObj): Promise<KObj> {
    if (this.lease) throw new KubeApiError('exists', 409, 'AlreadyExists');
    this.lease = {
      ...structuredClone(lease),
      metadata: { name: 'test', resourceVersion: String(++this.rv) },
    };
    return structuredClone(this.lease);
  }
  async update(lease: KObj): Promise<KObj> {
    if (this.failUpdates) throw new KubeApiError('unavailable', 503, 'ServiceUnavailable');
    if (lease.metadata?.resourceVersion !== this.lease?.metadata?.resourceVersion)
      throw new KubeApiError('conflict', 409, 'Conflict');
    this.lease = {
      ...structuredClone(lease),
      metadata: { ...lease.metadata, resourceVersion: String(++this.rv) },
    };
    return structuredClone(this.lease);
  }
}

function candidate(id: string, store: LeaseStore, clock: Clock, extra: Partial<LeaderElectionConfig> = {}) {
  const ac = new AbortController();
  let leading = false;
  const config: LeaderElectionConfig = {
    lock: store,
    identity: id,
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
    clock,
    jitter: 0,
    onStartedLeading: (signal) => {
      leading = true;
      signal.addEventListener('abort', () => (leading = false));
    },
    ...extra,
  };
  const done = runLeaderElection(config, ac.signal);
  return { stop: () => ac.abort(), done, isLeading: () => leading };
}

describe('leader election', () => {
  it('formats MicroTime with six fractional digits', () => {
    assert.equal(microTime(Date.UTC(2025, 0, 2, 3, 4, 5, 678) + 0.9), '2025-01-02T03:04:05.678900Z');
    assert.equal(microTime(Date.UTC(2025, 0, 2)), '2025-01-02T00:00:00.000000Z');
  });

  it('one leads, the other takes over only after the lease expires on its own clock', async () => {
    const clock = new FakeClock();
    const store = new MemoryLease();
    const a = candidate('a', store, clock);
    await clock.advance(0);
    const b = candidate('b', store, clock);
    await clock.advance(0);
    assert.ok(a.isLeading());
    assert.ok(!b.isLeading());
    const first = store.lease!.spec;
    assert.equal(first.holderIdentity, 'a');
    assert.equal(first.leaseDurationSeconds, 15);
    assert.equal(first.leaseTransitions, 0);
    assert.match(first.renewTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);

    await clock.advance(6_000); // a renews every retry period; b keeps seeing a fresh record
    assert.notEqual(store.lease!.spec.renewTime, first.renewTime);
    assert.equal(store.lease!.spec.acquireTime, first.acquireTime, 'renewal keeps acquireTime');
    assert.ok(!b.isLeading());

    a.stop(); // killed: nothing is released
    assert.equal(await a.done, 'cancelled');
    assert.equal(store.lease!.spec.holderIdentity, 'a');
    await clock.advance(14_000);
    assert.ok(!b.isLeading(), 'not before leaseDuration has passed since b last saw the record change');
    await clock.advance(4_000);
    assert.ok(b.isLeading());
    assert.equal(store.lease!.spec.holderIdentity, 'b');
    assert.equal(store.lease!.spec.leaseTransitions, 1);
    assert.notEqual(store.lease!.spec.acquireTime, first.acquireTime);
    b.stop();
    await b.done;
  });

  it('releases on cancel when asked, so the next candidate takes over at its next try', async () => {
    const clock = new FakeClock();
    const store = new MemoryLease();
    const a = candidate('a', store, clock, { releaseOnCancel: true });
    await clock.advance(0);
    const b = candidate('b', store, clock);
    await clock.advance(0);
    a.stop();
    await a.done;
    assert.equal(store.lease!.spec.holderIdentity, '');
    assert.equal(store.lease!.spec.leaseDurationSeconds, 1);
    await clock.advance(2_000);
    assert.ok(b.isLeading());
    assert.equal(store.lease!.spec.leaseTransitions, 1);
    b.stop();
    await b.done;
  });

  it('a leader that cannot renew within the renew deadline loses leadership', async () => {
    const clock = new FakeClock();
    const store = new MemoryLease();
    const a = candidate('a', store, clock);
    await clock.advance(0);
    assert.ok(a.isLeading());
    store.failUpdates = true;
    await clock.advance(9_000);
    assert.ok(a.isLeading(), 'still within the renew deadline');
    await clock.advance(4_000);
    assert.equal(await a.done, 'lost');
    assert.ok(!a.isLeading());
  });
});
