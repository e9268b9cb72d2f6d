// The storage conformance suite: what every back end must do, as etcd does it for kube-apiserver.
// conformance.test.ts runs it against the etcd back end (a real etcd) and the memory back end.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  ConflictError,
  ExpiredError,
  isStorageError,
  UnreadableValueError,
  type Storage,
} from '../../../src/apiserver/storage/index.js';
import { pod, takeEvents, waitFor, watchOutcome } from './support.js';

/** One back end as the suite drives it. */
export interface Backend {
  storage: Storage;
  /** The bytes and mod revision under key as stored, read around the back end's own client. */
  readRaw(key: string): Promise<{ value: Buffer; modRevision: string } | undefined>;
  /** Stores bytes as they are (like `etcdctl put`). */
  writeRaw(key: string, value: Buffer): Promise<void>;
  /** Makes seconds pass for TTLs: the memory back end moves its clock, etcd just has to wait. */
  passTime(seconds: number): Promise<void>;
  /** How long to poll for an expired key. */
  ttlDeadlineMs: number;
  stop(): Promise<void>;
}

const code = (c: string) => (err: unknown) => isStorageError(err) && err.code === c;

/** Registers the suite for a back end; start() runs once before its tests. */
export function conformance(name: string, start: () => Promise<Backend>): void {
  describe(`storage conformance: ${name}`, () => {
    let b: Backend;
    let s: Storage;
    const run = randomBytes(3).toString('hex');
    let n = 0;
    // A fresh key space per test, so tests never see each other's keys.
    const space = () => `/registry/t${run}-${++n}`;

    before(async () => {
      b = await start();
      s = b.storage;
    });
    after(async () => {
      await b?.stop();
    });

    it('creates and reads back an object whose resourceVersion is the mod revision, never stored', async () => {
      const key = `${space()}/pods/default/web`;
      const input = pod('web');
      const created = await s.create(key, input);
      assert.equal('resourceVersion' in input.metadata, false, 'the caller object is not changed');
      const raw = await b.readRaw(key);
      assert.ok(raw, 'the key is stored');
      assert.equal(created.revision, raw.modRevision);
      assert.equal(created.object.metadata?.resourceVersion, raw.modRevision);
      const value = JSON.parse(raw.value.toString('utf8'));
      assert.equal(value.apiVersion, 'v1');
      assert.equal(value.kind, 'Pod');
      assert.equal(value.metadata.uid, 'uid-web');
      assert.equal(value.metadata.creationTimestamp, '2024-01-01T00:00:00Z');
      assert.equal('resourceVersion' in value.metadata, false, 'resourceVersion is not stored');
      const got = await s.get(key);
      assert.deepEqual(got, created);
      assert.deepEqual(got!.object, {
        ...input,
        metadata: { ...input.metadata, resourceVersion: raw.modRevision },
      });
      assert.equal(await s.get(`${key}x`), undefined);
      assert.equal(BigInt(await s.currentRevision()) >= BigInt(created.revision), true);
    });

    it('refuses to create an object with a resourceVersion or without kind', async () => {
      const key = `${space()}/pods/default/a`;
      const withRv = pod('a');
      await assert.rejects(
        s.create(key, { ...withRv, metadata: { ...withRv.metadata, resourceVersion: '5' } }),
        code('INVALID_ARGUMENT'),
      );
      await assert.rejects(
        s.create(key, { apiVersion: 'v1', metadata: { name: 'a' } }),
        code('INVALID_ARGUMENT'),
      );
      assert.equal(await s.get(key), undefined);
    });

    it('fails to create an existing key with ALREADY_EXISTS', async () => {
      const key = `${space()}/pods/default/a`;
      const first = await s.create(key, pod('a'));
      await assert.rejects(s.create(key, pod('a', { spec: { other: true } })), code('ALREADY_EXISTS'));
      assert.equal((await s.get(key))!.revision, first.revision, 'the first object is untouched');
    });

    it('updates only from the current revision (compare-and-swap)', async () => {
      const key = `${space()}/pods/default/a`;
      const v1 = await s.create(key, pod('a'));
      const v2 = await s.update(key, pod('a', { spec: { n: 2 } }), { expectedRevision: v1.revision });
      assert.ok(BigInt(v2.revision) > BigInt(v1.revision));
      assert.equal(v2.object.metadata?.resourceVersion, v2.revision);
      const err = await s
        .update(key, pod('a', { spec: { n: 3 } }), { expectedRevision: v1.revision })
        .catch((e) => e);
      assert.ok(err instanceof ConflictError, `expected CONFLICT, got ${err}`);
      assert.equal(err.actualRevision, v2.revision);
      assert.deepEqual((await s.get(key))!.object, v2.object, 'the losing write changed nothing');
      await assert.rejects(
        s.update(`${key}-gone`, pod('a'), { expectedRevision: v1.revision }),
        code('NOT_FOUND'),
      );
    });

    it('deletes only from the current revision, returning the last state', async () => {
      const key = `${space()}/pods/default/a`;
      const v1 = await s.create(key, pod('a'));
      const v2 = await s.update(key, pod('a', { spec: { n: 2 } }), { expectedRevision: v1.revision });
      await assert.rejects(s.delete(key, { expectedRevision: v1.revision }), code('CONFLICT'));
      assert.ok(await s.get(key), 'a refused delete leaves the key');
      const gone = await s.delete(key, { expectedRevision: v2.revision });
      assert.deepEqual(gone.object, v2.object);
      assert.equal(gone.revision, v2.revision);
      assert.ok(BigInt(gone.deletedRevision) > BigInt(v2.revision));
      assert.equal(await s.get(key), undefined);
      await assert.rejects(s.delete(key), code('NOT_FOUND'));
      const again = await s.create(key, pod('a'));
      const plain = await s.delete(key);
      assert.equal(plain.revision, again.revision, 'a delete without precondition also returns the object');
    });

    it('lists a prefix as a directory: /pods/def never matches /pods/default/…', async () => {
      const base = space();
      await s.create(`${base}/pods/default/b`, pod('b'));
      await s.create(`${base}/pods/default/a`, pod('a'));
      await s.create(`${base}/pods/def/c`, pod('c'));
      await s.create(`${base}/pods/defaults`, pod('d'));
      const def = await s.list(`${base}/pods/def`);
      assert.deepEqual(
        def.items.map((i) => i.key),
        [`${base}/pods/def/c`],
      );
      const all = await s.list(`${base}/pods/default/`);
      assert.deepEqual(
        all.items.map((i) => i.key),
        [`${base}/pods/default/a`, `${base}/pods/default/b`],
      );
      for (const item of all.items) assert.equal(item.object.metadata?.resourceVersion, item.revision);
      assert.equal(all.revision, await s.currentRevision());
      assert.equal(all.continue, undefined);
      assert.deepEqual((await s.list(`${base}/pods/nothing`)).items, []);
    });

    it('pages with limit and continue at the first page’s revision', async () => {
      const base = `${space()}/configmaps/ns`;
      for (const name of ['a', 'b', 'c', 'd', 'e']) await s.create(`${base}/${name}`, pod(name));
      const p1 = await s.list(base, { limit: 2 });
      assert.deepEqual(
        p1.items.map((i) => i.object.metadata?.name),
        ['a', 'b'],
      );
      assert.ok(p1.continue);
      assert.equal(p1.remainingItemCount, 3);
      // Changes after the first page must not show in the later ones.
      const c = (await s.get(`${base}/c`))!;
      await s.update(`${base}/c`, pod('c', { spec: { changed: true } }), { expectedRevision: c.revision });
      await s.delete(`${base}/d`);
      await s.create(`${base}/f`, pod('f'));
      const p2 = await s.list(base, { limit: 2, continue: p1.continue });
      assert.deepEqual(
        p2.items.map((i) => i.object.metadata?.name),
        ['c', 'd'],
      );
      assert.equal(p2.revision, p1.revision);
      assert.equal(p2.items[0]!.revision, c.revision, 'c as it was at the first page');
      assert.equal(p2.remainingItemCount, 1);
      const p3 = await s.list(base, { limit: 2, continue: p2.continue });
      assert.deepEqual(
        p3.items.map((i) => i.object.metadata?.name),
        ['e'],
      );
      assert.equal(p3.continue, undefined);
      const now = await s.list(base);
      assert.deepEqual(
        now.items.map((i) => i.object.metadata?.name),
        ['a', 'b', 'c', 'e', 'f'],
      );
      const then = await s.list(base, { revision: p1.revision });
      assert.deepEqual(
        then.items.map((i) => i.object.metadata?.name),
        ['a', 'b', 'c', 'd', 'e'],
      );
      await assert.rejects(s.list(base, { continue: 'not-a-token' }), code('INVALID_ARGUMENT'));
      await assert.rejects(
        s.list(base, { revision: String(BigInt(now.revision) + 1000n) }),
        code('REVISION_TOO_LARGE'),
      );
    });

    it('fills pages with filter matches', async () => {
      const base = `${space()}/pods/ns`;
      for (let i = 0; i < 9; i++) await s.create(`${base}/p${i}`, pod(`p${i}`, { even: i % 2 === 0 }));
      const even = (o: object) => (o as { even?: boolean }).even === true;
      const p1 = await s.list(base, { limit: 2, filter: even });
      assert.deepEqual(
        p1.items.map((i) => i.object.metadata?.name),
        ['p0', 'p2'],
      );
      const p2 = await s.list(base, { limit: 2, filter: even, continue: p1.continue });
      assert.deepEqual(
        p2.items.map((i) => i.object.metadata?.name),
        ['p4', 'p6'],
      );
      const p3 = await s.list(base, { limit: 2, filter: even, continue: p2.continue });
      assert.deepEqual(
        p3.items.map((i) => i.object.metadata?.name),
        ['p8'],
      );
      assert.equal(p3.continue, undefined);
    });

    it('watches from a revision: ADDED, MODIFIED, DELETED in order, DELETED with the last state', async () => {
      const base = space();
      const from = await s.currentRevision();
      const a = await s.create(`${base}/pods/default/a`, pod('a'));
      await s.create(`${base}/pods/other/x`, pod('x'));
      await s.create(`${base}/secrets/default/s`, pod('s')); // outside the watched prefix
      const a2 = await s.update(`${base}/pods/default/a`, pod('a', { spec: { n: 2 } }), {
        expectedRevision: a.revision,
      });
      const gone = await s.delete(`${base}/pods/default/a`);
      const ac = new AbortController();
      try {
        const events = await takeEvents(
          s.watch(`${base}/pods`, { fromRevision: from, signal: ac.signal }),
          4,
        );
        assert.deepEqual(
          events.map((e) => [e.type, e.key, e.revision]),
          [
            ['ADDED', `${base}/pods/default/a`, a.revision],
            ['ADDED', `${base}/pods/other/x`, events[1]!.revision],
            ['MODIFIED', `${base}/pods/default/a`, a2.revision],
            ['DELETED', `${base}/pods/default/a`, gone.deletedRevision],
          ],
        );
        for (const e of events) assert.equal(e.object.metadata?.resourceVersion, e.revision);
        assert.deepEqual(events[3]!.object, {
          ...a2.object,
          metadata: { ...a2.object.metadata, resourceVersion: gone.deletedRevision },
        });
      } finally {
        ac.abort();
      }
    });

    it('delivers live events to a running watch, and watches a single key', async () => {
      const base = `${space()}/leases/kube-node-lease`;
      const from = await s.currentRevision();
      const ac = new AbortController();
      try {
        const all = takeEvents(s.watch(base, { fromRevision: from, signal: ac.signal }), 3);
        const one = takeEvents(
          s.watch(`${base}/n1`, { fromRevision: from, signal: ac.signal, recursive: false }),
          2,
        );
        const n1 = await s.create(`${base}/n1`, pod('n1'));
        await s.create(`${base}/n10`, pod('n10'));
        await s.update(`${base}/n1`, pod('n1', { spec: { renew: 1 } }), { expectedRevision: n1.revision });
        assert.deepEqual(
          (await all).map((e) => `${e.type} ${e.key.slice(base.length)}`),
          ['ADDED /n1', 'ADDED /n10', 'MODIFIED /n1'],
        );
        assert.deepEqual(
          (await one).map((e) => `${e.type} ${e.key.slice(base.length)}`),
          ['ADDED /n1', 'MODIFIED /n1'],
        );
      } finally {
        ac.abort();
      }
    });

    it('ends a watch cleanly when its signal aborts', async () => {
      const ac = new AbortController();
      const watch = s.watch(`${space()}/pods`, {
        fromRevision: await s.currentRevision(),
        signal: ac.signal,
      });
      const outcome = watchOutcome(watch, 3000);
      setImmediate(() => ac.abort());
      assert.equal(await outcome, undefined);
      // Already aborted: the iteration ends at once.
      assert.equal(
        await watchOutcome(s.watch(`${space()}/pods`, { fromRevision: '1', signal: ac.signal }), 3000),
        undefined,
      );
    });

    it('answers EXPIRED for a watch, list or continue from before the compaction', async () => {
      const base = `${space()}/pods/ns`;
      const old = await s.create(`${base}/a`, pod('a'));
      await s.create(`${base}/b`, pod('b'));
      const page = await s.list(base, { limit: 1 });
      const latest = await s.create(`${base}/c`, pod('c'));
      await s.compact(latest.revision);
      const ac = new AbortController();
      try {
        const err = await watchOutcome(s.watch(base, { fromRevision: old.revision, signal: ac.signal }));
        assert.ok(err instanceof ExpiredError, `expected EXPIRED, got ${err}`);
        assert.match(err.message, /too old resource version/);
        await assert.rejects(s.list(base, { revision: old.revision }), code('EXPIRED'));
        await assert.rejects(s.list(base, { limit: 1, continue: page.continue }), code('EXPIRED'));
        // The compaction revision itself is still there: etcd keeps it.
        const ok = s.watch(base, { fromRevision: latest.revision, signal: ac.signal });
        const next = takeEvents(ok, 1);
        await s.create(`${base}/d`, pod('d'));
        assert.equal((await next)[0]!.key, `${base}/d`);
        await s.compact(latest.revision); // again: a no-op, not an error
      } finally {
        ac.abort();
      }
    });

    it('lets a key with a TTL expire, and keeps the TTL across an update', async () => {
      const base = `${space()}/events/default`;
      const from = await s.currentRevision();
      const created = await s.create(`${base}/e1`, pod('e1'), { ttlSeconds: 1 });
      await s.create(`${base}/keep`, pod('keep'));
      // An update without a TTL keeps the lease (etcd's plain put would detach it).
      await s.update(`${base}/e1`, pod('e1', { count: 2 }), { expectedRevision: created.revision });
      assert.ok(await s.get(`${base}/e1`));
      await b.passTime(1);
      await waitFor(async () => (await s.get(`${base}/e1`)) === undefined, {
        timeoutMs: b.ttlDeadlineMs,
        what: 'the TTL key to expire',
      });
      assert.ok(await s.get(`${base}/keep`), 'a key without TTL stays');
      const ac = new AbortController();
      try {
        const events = await takeEvents(s.watch(base, { fromRevision: from, signal: ac.signal }), 4);
        assert.deepEqual(
          events.map((e) => `${e.type} ${e.key.slice(base.length)}`),
          ['ADDED /e1', 'ADDED /keep', 'MODIFIED /e1', 'DELETED /e1'],
        );
        assert.equal(
          (events[3]!.object as { count?: number }).count,
          2,
          'the expired object is in its DELETED event',
        );
      } finally {
        ac.abort();
      }
    });

    it('refuses protobuf, encrypted and non-JSON values with UNREADABLE_VALUE naming the key', async () => {
      const base = `${space()}/pods/default`;
      const values: [string, Buffer, string][] = [
        [
          'proto',
          Buffer.concat([Buffer.from('k8s\0', 'latin1'), Buffer.from([0x0a, 0x0b, 0x0a, 0x02, 0x76, 0x31])]),
          'protobuf',
        ],
        [
          'enc',
          Buffer.concat([Buffer.from('k8s:enc:aescbc:v1:key1:', 'latin1'), randomBytes(32)]),
          'encrypted',
        ],
        ['text', Buffer.from('hello'), 'not-json'],
        ['nokind', Buffer.from('{"metadata":{"name":"x"}}'), 'no-kind'],
      ];
      for (const [name, value, reason] of values) {
        const key = `${base}/${name}`;
        await b.writeRaw(key, value);
        const err = await s.get(key).catch((e) => e);
        assert.ok(err instanceof UnreadableValueError, `${name}: expected UNREADABLE_VALUE, got ${err}`);
        assert.equal(err.reason, reason);
        assert.ok(err.message.includes(key), `${name}: the message names the key: ${err.message}`);
        assert.ok(err.hint, 'with a hint');
      }
      const proto = await s.get(`${base}/proto`).catch((e) => e);
      assert.match(proto.userMessage(), /--storage-media-type=application\/json/);
      const enc = await s.get(`${base}/enc`).catch((e) => e);
      assert.match(enc.message, /aescbc/);
      await assert.rejects(s.list(base), code('UNREADABLE_VALUE'));
    });

    it('loses no update under 50 concurrent compare-and-swap writers', async () => {
      const key = `${space()}/configmaps/default/counter`;
      await s.create(key, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'counter' },
        data: { n: '0' },
      });
      let conflicts = 0;
      const increment = async () => {
        for (;;) {
          const cur = (await s.get(key))!;
          const n = Number((cur.object as { data: { n: string } }).data.n);
          try {
            await s.update(
              key,
              { ...cur.object, data: { n: String(n + 1) } },
              { expectedRevision: cur.revision },
            );
            return;
          } catch (err) {
            if (!isStorageError(err, 'CONFLICT')) throw err;
            conflicts++;
          }
        }
      };
      await Promise.all(Array.from({ length: 50 }, increment));
      assert.equal(((await s.get(key))!.object as { data: { n: string } }).data.n, '50');
      assert.ok(conflicts > 0, 'the writers did contend');
    });

    it('ends a watch with UNREADABLE_VALUE when an event carries a value that is not ours', async () => {
      const base = `${space()}/pods/default`;
      const from = await s.currentRevision();
      await b.writeRaw(`${base}/bad`, Buffer.from('k8s\0junk', 'latin1'));
      const ac = new AbortController();
      try {
        const err = await watchOutcome(s.watch(base, { fromRevision: from, signal: ac.signal }));
        assert.ok(isStorageError(err, 'UNREADABLE_VALUE'), `expected UNREADABLE_VALUE, got ${err}`);
      } finally {
        ac.abort();
      }
    });
  });
}
