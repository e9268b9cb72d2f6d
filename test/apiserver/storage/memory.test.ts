// What only the memory back end needs showing: its bounded history, expiry on the real clock
// without any other call, and that callers never share objects with the store.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExpiredError, isStorageError, MemoryStorage } from '../../../src/apiserver/storage/index.js';
import { pod, takeEvents, watchOutcome } from './support.js';

describe('memory storage', () => {
  it('keeps historyLimit writes: a watch from before them gets EXPIRED, after them works', async () => {
    const s = new MemoryStorage({ historyLimit: 3 });
    const revisions: string[] = [];
    for (let i = 0; i < 6; i++)
      revisions.push((await s.create(`/registry/pods/ns/p${i}`, pod(`p${i}`))).revision);
    const ac = new AbortController();
    try {
      const err = await watchOutcome(
        s.watch('/registry/pods', { fromRevision: revisions[1]!, signal: ac.signal }),
      );
      assert.ok(err instanceof ExpiredError, `expected EXPIRED, got ${err}`);
      assert.equal(err.compactedRevision, revisions[3]);
      const events = await takeEvents(
        s.watch('/registry/pods', { fromRevision: revisions[2]!, signal: ac.signal }),
        3,
      );
      assert.deepEqual(
        events.map((e) => e.revision),
        revisions.slice(3),
      );
      await assert.rejects(s.list('/registry/pods', { revision: revisions[1]! }), (e) =>
        isStorageError(e, 'EXPIRED'),
      );
    } finally {
      ac.abort();
      await s.close();
    }
  });

  it('expires a TTL key on the real clock and tells a watcher, with no other call', async () => {
    const s = new MemoryStorage();
    const ac = new AbortController();
    try {
      const created = await s.create('/registry/events/default/e', pod('e'), { ttlSeconds: 1 });
      const started = Date.now();
      const [gone] = await takeEvents(
        s.watch('/registry/events', { fromRevision: created.revision, signal: ac.signal }),
        1,
        4000,
      );
      assert.equal(gone!.type, 'DELETED');
      assert.ok(Date.now() - started >= 900, 'not before the TTL');
    } finally {
      ac.abort();
      await s.close();
    }
  });

  it('hands out copies: changing a returned object changes nothing stored', async () => {
    const s = new MemoryStorage();
    const input = pod('a');
    const created = await s.create('/registry/pods/default/a', input);
    (created.object.metadata as { name: string }).name = 'changed';
    input.metadata.name = 'changed too';
    const got = (await s.get('/registry/pods/default/a'))!;
    assert.equal(got.object.metadata?.name, 'a');
    (got.object.metadata as { name: string }).name = 'changed';
    assert.equal((await s.get('/registry/pods/default/a'))!.object.metadata?.name, 'a');
    await s.close();
  });

  it('ends watches cleanly on close() and fails later calls with UNAVAILABLE', async () => {
    const s = new MemoryStorage();
    const open = watchOutcome(
      s.watch('/registry/pods', {
        fromRevision: await s.currentRevision(),
        signal: new AbortController().signal,
      }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    await s.close();
    assert.equal(await open, undefined);
    await assert.rejects(s.get('/registry/pods/a'), (e) => isStorageError(e, 'UNAVAILABLE'));
  });
});
