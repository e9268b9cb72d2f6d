// The reflector (reference §3) against the shim: LIST from the cache (resourceVersion=0,
// limit=500), WATCH from the list's resourceVersion, events tracked; after a hand-off to a new
// server on the same storage the re-opened watch gets 410 and the reflector relists once from its
// last resourceVersion (no paging), then watches again — no lost object.
import assert from 'node:assert/strict';
import { setMaxListeners } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { MemoryStorage } from '../../../src/apiserver/storage/index.js';
import { ApiClient, type RequestRecord } from '../../../src/sim/kubelet/api-client.js';
import { RealClock } from '../../../src/sim/kubelet/clock.js';
import { ObjectStore, Reflector } from '../../../src/sim/kubelet/reflector.js';
import { eventually, renderOnce, startShim, type Rendered, type Shim } from './support.js';

let r: Rendered;
let shim: Shim;
const storage = new MemoryStorage();
const log: RequestRecord[] = [];
const stop = new AbortController();
setMaxListeners(0, stop.signal);

before(async () => {
  r = await renderOnce();
  shim = await startShim(r, { storage });
});

after(async () => {
  stop.abort();
  await shim?.destroy();
  await storage.close();
});

describe('the reflector', () => {
  it('lists, watches, and relists once after a 410 from a new server', async () => {
    const admin = new ApiClient({ nodeName: 'admin', ...shim.admin });
    const client = new ApiClient({ nodeName: 'test', ...shim.admin, onRequest: (q) => log.push(q) });
    const store = new ObjectStore();
    const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' } });
    await admin.request('kube', 'POST', '/api/v1/namespaces/default/configmaps', { body: cm('a') });
    const reflector = new Reflector({
      client,
      clock: new RealClock(20),
      path: '/api/v1/namespaces/default/configmaps',
      onReplace: (items) => store.replace(items),
      onEvent: (t, o) => store.apply(t, o),
      signal: stop.signal,
    });
    void reflector.run();
    await eventually(() => reflector.hasSynced && store.get('default/a'), 5000, 'the first list');
    await admin.request('kube', 'POST', '/api/v1/namespaces/default/configmaps', { body: cm('b') });
    await eventually(() => store.get('default/b'), 5000, 'b through the watch');

    // Hand-off: the server goes, a new one starts on the same storage; a write lands in between.
    const port = shim.port;
    await shim.close();
    // Written while no server runs (as the old apiserver's last writes before a hand-off): the new
    // server starts after this revision, so a watch from before it is too old.
    await storage.create('/registry/configmaps/default/c', { ...cm('c'), metadata: { ...cm('c').metadata, uid: 'c-uid', creationTimestamp: '2025-01-01T00:00:00Z' } });
    shim = await startShim(r, { storage, port });
    await eventually(() => store.get('default/c'), 15_000, 'c after the relist');
    assert.ok(store.get('default/a') && store.get('default/b'), 'nothing lost');

    const lines = log.map((q) => `${q.watch ? 'WATCH' : 'LIST'} ${q.path.replace(/^[^?]*\?/, '')} ${q.status}`);
    assert.match(lines[0]!, /^LIST limit=500&resourceVersion=0 200$/);
    assert.match(lines[1]!, /^WATCH allowWatchBookmarks=true&resourceVersion=\d+&timeoutSeconds=\d+&watch=true 200$/);
    const relist = lines.findIndex((l, i) => i > 0 && l.startsWith('LIST') && l.endsWith(' 200'));
    assert.ok(relist > 1, 'a relist happened');
    assert.match(lines[relist]!, /^LIST resourceVersion=\d+ 200$/, 'relisted from its last resourceVersion, without paging');
    assert.equal(lines.filter((l) => l.startsWith('LIST') && l.endsWith(' 200')).length, 2, 'exactly one relist');
    admin.closeIdle(true);
    client.closeIdle(true);
  });
});
