// Watch semantics (reference §3) and concurrency: framing, bookmarks, timeouts, selectors that
// objects move in and out of, refusals, many writers on one object, many watchers, a slow watcher.
import assert from 'node:assert/strict';
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import { startEtcd, type EtcdHandle } from '../../helpers/etcd.js';
import { createStorage, MemoryStorage, type Storage } from '../../../src/apiserver/storage/index.js';
import {
  eventually,
  renderAssets,
  startShim,
  type Assets,
  type Client,
  type Shim,
  type WatchStream,
} from './support.js';

let assets: Assets;

before(async () => {
  assets = await renderAssets();
});
after(() => assets?.cleanup());

function cm(name: string, labels: Record<string, string> = {}, data: Record<string, string> = {}): object {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data };
}

describe('watch semantics', () => {
  let shim: Shim;
  let admin: Client;
  const watches: WatchStream[] = [];

  before(async () => {
    shim = await startShim(assets, new MemoryStorage(), { watch: { bookmarkIntervalMs: 100 } });
    admin = shim.client(assets.admin);
  });
  after(async () => {
    for (const w of watches) w.close();
    admin?.close();
    await shim?.close();
  });

  it('sends the current state first for resourceVersion=0, every object with apiVersion and kind', async () => {
    assert.equal((await admin.post('/api/v1/namespaces/default/configmaps', cm('first'))).status, 201);
    const w = await admin.watch('/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=0');
    watches.push(w);
    const events = await w.until((e) => e.some((x) => x.object.metadata.name === 'first'));
    for (const e of events) {
      assert.equal(e.type, 'ADDED');
      assert.equal(e.object.apiVersion, 'v1');
      assert.equal(e.object.kind, 'ConfigMap');
    }
    assert.match(w.raw, /^\{"type":"ADDED","object":\{/);
  });

  it('sends bookmarks of the watched kind when allowed', async () => {
    const list = await admin.get('/api/v1/namespaces/default/configmaps');
    const w = await admin.watch(
      `/api/v1/namespaces/default/configmaps?watch=true&allowWatchBookmarks=true&resourceVersion=${list.json.metadata.resourceVersion}`,
    );
    watches.push(w);
    const [b] = await w.until((e) => e.some((x) => x.type === 'BOOKMARK'));
    assert.equal(b!.type, 'BOOKMARK');
    assert.equal(b!.object.kind, 'ConfigMap');
    assert.equal(b!.object.apiVersion, 'v1');
    assert.match(b!.object.metadata.resourceVersion, /^\d+$/);
  });

  it('ends cleanly at timeoutSeconds', async () => {
    const started = Date.now();
    const w = await admin.watch('/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1');
    await w.waitEnd(5000);
    assert.ok(Date.now() - started >= 900);
    assert.equal(w.status, 200);
  });

  it('turns a label change out of the selection into DELETED and back into ADDED, as the cacher does', async () => {
    const list = await admin.get('/api/v1/namespaces/default/configmaps?labelSelector=app%3Dx');
    const w = await admin.watch(
      `/api/v1/namespaces/default/configmaps?watch=true&labelSelector=app%3Dx&resourceVersion=${list.json.metadata.resourceVersion}`,
    );
    watches.push(w);
    const created = await admin.post('/api/v1/namespaces/default/configmaps', cm('moving', { app: 'x' }));
    const out = await admin.patch(
      '/api/v1/namespaces/default/configmaps/moving',
      { metadata: { labels: { app: 'y' } } },
      'application/merge-patch+json',
    );
    await admin.patch(
      '/api/v1/namespaces/default/configmaps/moving',
      { data: { unseen: 'yes' } },
      'application/merge-patch+json',
    );
    await admin.patch(
      '/api/v1/namespaces/default/configmaps/moving',
      { metadata: { labels: { app: 'x' } } },
      'application/merge-patch+json',
    );
    await admin.delete('/api/v1/namespaces/default/configmaps/moving');
    const events = await w.until((e) => e.length >= 4);
    assert.deepEqual(
      events.map((e) => e.type),
      ['ADDED', 'DELETED', 'ADDED', 'DELETED'],
    );
    assert.equal(events[0]!.object.metadata.resourceVersion, created.json.metadata.resourceVersion);
    assert.equal(events[1]!.object.metadata.labels.app, 'x', 'the last state the watcher saw');
    assert.equal(
      events[1]!.object.metadata.resourceVersion,
      out.json.metadata.resourceVersion,
      "at the change's resourceVersion",
    );
    assert.equal(events[2]!.object.data.unseen, 'yes');
  });

  it('refuses sendInitialEvents with the Status of a server without the WatchList gate', async () => {
    const r = await admin.get(
      '/api/v1/namespaces/default/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true',
    );
    assert.equal(r.status, 422);
    assert.equal(r.json.reason, 'Invalid');
    assert.equal(
      r.json.message,
      'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled',
    );
  });

  it('answers a resourceVersion from the future with an ERROR event after waiting', async () => {
    const w = await admin.watch('/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=99999999');
    const [e] = await w.until((ev) => ev.length > 0, 8000);
    assert.equal(e!.type, 'ERROR');
    assert.equal(e!.object.code, 504);
    assert.equal(e!.object.reason, 'Timeout');
    assert.equal(e!.object.details.causes[0].reason, 'ResourceVersionTooLarge');
  });

  it('pages lists with limit and continue', async () => {
    for (let i = 0; i < 5; i++)
      await admin.post('/api/v1/namespaces/default/configmaps', cm(`page-${i}`, { paged: 'yes' }));
    const first = await admin.get('/api/v1/namespaces/default/configmaps?labelSelector=paged&limit=2');
    assert.equal(first.json.items.length, 2);
    assert.ok(first.json.metadata.continue);
    const second = await admin.get(
      `/api/v1/namespaces/default/configmaps?labelSelector=paged&limit=2&continue=${encodeURIComponent(first.json.metadata.continue)}`,
    );
    assert.equal(second.json.items.length, 2);
    assert.equal(
      second.json.metadata.resourceVersion,
      first.json.metadata.resourceVersion,
      'a consistent snapshot',
    );
    const all = await admin.get(
      '/api/v1/namespaces/default/configmaps?labelSelector=paged&limit=2&resourceVersion=0',
    );
    assert.equal(all.json.items.length, 5, 'limit is ignored for resourceVersion=0');
  });

  it('answers Accept: protobuf alone with 406 and protobuf bodies with 415', async () => {
    const r = await admin.get('/api/v1/namespaces', { accept: 'application/vnd.kubernetes.protobuf' });
    assert.equal(r.status, 406);
    assert.equal(r.json.reason, 'NotAcceptable');
    const both = await admin.get('/api/v1/namespaces', {
      accept: 'application/vnd.kubernetes.protobuf,application/json',
    });
    assert.equal(both.status, 200);
    assert.match(String(both.headers['content-type']), /^application\/json/);
    const body = await admin.request('POST', '/api/v1/namespaces/default/configmaps', {
      body: Buffer.from('k8s\0\n\x0c\n\x02v1', 'latin1'),
      contentType: 'application/vnd.kubernetes.protobuf',
      headers: { 'User-Agent': 'kubelet/v1.32.4 (linux/amd64)' },
    });
    assert.equal(body.status, 415);
    assert.equal(body.json.reason, 'UnsupportedMediaType');
    assert.match(body.json.message, /contentType: application\/json` in the kubelet config/);
    const apply = await admin.request('PATCH', '/api/v1/namespaces/default/configmaps/first', {
      body: 'data: {}',
      contentType: 'application/apply-patch+yaml',
    });
    assert.equal(apply.status, 415);
    assert.match(apply.json.message, /server-side apply is not supported/);
  });
});

describe('concurrency on etcd', () => {
  let etcd: EtcdHandle;
  let storage: Storage;
  let shim: Shim;
  let admin: Client;

  before(async () => {
    etcd = await startEtcd();
    storage = await createStorage({ backend: 'etcd', endpoints: [etcd.endpoint] });
    shim = await startShim(assets, storage);
    admin = shim.client(assets.admin);
  });
  after(async () => {
    admin?.close();
    await shim?.close();
    await storage?.close();
    await etcd?.stop();
  });

  it('loses no update of 50 concurrent read-modify-write writers (409s retried)', async () => {
    assert.equal(
      (await admin.post('/api/v1/namespaces/default/configmaps', cm('counter', {}, { n: '0' }))).status,
      201,
    );
    let conflicts = 0;
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        for (;;) {
          const cur = await admin.get('/api/v1/namespaces/default/configmaps/counter');
          const next = { ...cur.json, data: { n: String(Number(cur.json.data.n) + 1) } };
          const r = await admin.put('/api/v1/namespaces/default/configmaps/counter', next);
          if (r.status === 200) return;
          assert.equal(r.status, 409, r.text);
          assert.equal(r.json.reason, 'Conflict');
          conflicts++;
        }
      }),
    );
    const final = await admin.get('/api/v1/namespaces/default/configmaps/counter');
    assert.equal(final.json.data.n, '50');
    assert.ok(conflicts > 0, 'writers did collide');
  });

  it('lands every one of 50 concurrent patches without a precondition', async () => {
    assert.equal((await admin.post('/api/v1/namespaces/default/configmaps', cm('patched'))).status, 201);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        admin.patch(
          '/api/v1/namespaces/default/configmaps/patched',
          { data: { [`k${i}`]: String(i) } },
          'application/strategic-merge-patch+json',
        ),
      ),
    );
    for (const r of results) assert.equal(r.status, 200, r.text);
    const final = await admin.get('/api/v1/namespaces/default/configmaps/patched');
    assert.equal(Object.keys(final.json.data).length, 50);
  });

  it('shows 200 concurrent watchers the same events in the same order', async () => {
    const list = await admin.get('/api/v1/namespaces/default/configmaps');
    const rv = list.json.metadata.resourceVersion;
    const streams = await Promise.all(
      Array.from({ length: 200 }, () =>
        admin.watch(`/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`),
      ),
    );
    try {
      await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          admin.post('/api/v1/namespaces/default/configmaps', cm(`w-${i}`)),
        ),
      );
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => admin.delete(`/api/v1/namespaces/default/configmaps/w-${i}`)),
      );
      const seqs = await Promise.all(streams.map((s) => s.until((e) => e.length >= 40, 20_000)));
      const first = JSON.stringify(
        seqs[0]!.map((e) => [e.type, e.object.metadata.name, e.object.metadata.resourceVersion]),
      );
      for (const s of seqs)
        assert.equal(
          JSON.stringify(s.map((e) => [e.type, e.object.metadata.name, e.object.metadata.resourceVersion])),
          first,
        );
      const rvs = seqs[0]!.map((e) => BigInt(e.object.metadata.resourceVersion));
      for (let i = 1; i < rvs.length; i++) assert.ok(rvs[i]! > rvs[i - 1]!, 'in revision order');
    } finally {
      for (const s of streams) s.close();
    }
  });
});

describe('a slow watcher', () => {
  it('is cut off once its unread events pass the bound, instead of growing the server', async () => {
    const storage = new MemoryStorage();
    const shim = await startShim(assets, storage, { watch: { maxBufferedBytes: 256 * 1024 } });
    const admin = shim.client(assets.admin);
    try {
      const list = await admin.get('/api/v1/namespaces/default/configmaps');
      // A client that stops reading: the response is paused after the headers.
      let received = 0;
      let ended = false;
      const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
        const req = https.request(
          {
            host: '127.0.0.1',
            port: shim.port,
            path: `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${list.json.metadata.resourceVersion}`,
            ca: assets.ca,
            cert: assets.admin.cert,
            key: assets.admin.key,
            servername: 'localhost',
            agent: false,
          },
          resolve,
        );
        req.on('error', reject);
        req.end();
      });
      res.pause();
      res.socket.setNoDelay(true);
      const big = 'x'.repeat(64 * 1024);
      for (let i = 0; i < 160; i++) {
        const r = await admin.post('/api/v1/namespaces/default/configmaps', cm(`big-${i}`, {}, { big }));
        assert.equal(r.status, 201);
      }
      res.on('data', (c: Buffer) => (received += c.length));
      res.on('close', () => (ended = true));
      res.on('error', () => (ended = true));
      res.resume();
      await eventually(() => ended, 15_000, 'the server to cut the watch off');
      assert.ok(received < 160 * 64 * 1024, `the watcher got ${received} bytes: less than every event`);
      const health = await admin.get('/readyz');
      assert.equal(health.status, 200);
    } finally {
      admin.close();
      await shim.close();
    }
  });
});
