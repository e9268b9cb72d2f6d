// Reads the watch cache serves (lists with resourceVersion 0 or N, the object an update starts from,
// the Node authorizer's pods): what a client sees must be what etcd holds — its own writes at once,
// and another server's writes judged on etcd's state, never on a copy that has not caught up.
// Two servers share one real etcd, as the hand-offs and the simulation's stand-ins do.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEtcd, type EtcdHandle } from '../../helpers/etcd.js';
import { createStorage, type Storage } from '../../../src/apiserver/storage/index.js';
import { NODE, renderAssets, startShim, type Assets, type Client, type Shim } from './support.js';

let etcd: EtcdHandle;
let storage: Storage;
let assets: Assets;
let a: Shim;
let b: Shim;
let adminA: Client;
let adminB: Client;
let kubeletA: Client;

before(async () => {
  [etcd, assets] = await Promise.all([startEtcd(), renderAssets()]);
  storage = await createStorage({ backend: 'etcd', endpoints: [etcd.endpoint] });
  a = await startShim(assets, storage);
  b = await startShim(assets, storage);
  adminA = a.client(assets.admin);
  adminB = b.client(assets.admin);
  kubeletA = a.client(assets.kubelet);
});

after(async () => {
  for (const c of [adminA, adminB, kubeletA]) c?.close();
  await a?.close();
  await b?.close();
  await storage?.close();
  await etcd?.stop();
  await assets?.cleanup();
});

const cm = (name: string, data: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data,
});
const pod = (name: string, nodeName?: string, spec: object = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'pause' }], ...spec },
});
const names = (r: { json: any }) => r.json.items.map((i: any) => i.metadata.name);

describe('lists from the watch cache', () => {
  before(async () => {
    const r = await adminA.post('/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'lists' },
    });
    assert.equal(r.status, 201, r.text);
  });

  it('show a client its own writes at once, in key order', async () => {
    const base = '/api/v1/namespaces/lists/configmaps';
    const want = ['kube-root-ca.crt'];
    for (const i of [7, 3, 11, 0, 5, 9, 1]) {
      assert.equal((await adminA.post(base, cm(`c-${i}`))).status, 201);
      want.push(`c-${i}`);
      const list = await adminA.get(`${base}?resourceVersion=0`);
      assert.equal(list.status, 200);
      assert.deepEqual(names(list), [...want].sort(), 'every configmap written so far, sorted by key');
    }
    const del = await adminA.delete(`${base}/c-5`);
    assert.equal(del.status, 200);
    const afterDelete = await adminA.get(`${base}?resourceVersion=0&limit=2`);
    assert.deepEqual(
      names(afterDelete),
      want.filter((n) => n !== 'c-5').sort(),
      'gone at once; limit ignored for resourceVersion=0',
    );
    assert.equal(afterDelete.json.kind, 'ConfigMapList');
    assert.equal(afterDelete.json.apiVersion, 'v1');
    const rv = afterDelete.json.metadata.resourceVersion;
    const notOlder = await adminA.get(`${base}?resourceVersion=${rv}`);
    assert.deepEqual(names(notOlder), names(afterDelete));
    assert.ok(BigInt(notOlder.json.metadata.resourceVersion) >= BigInt(rv));
  });

  it("show another server's write once a resourceVersion at least as new is asked for", async () => {
    const base = '/api/v1/namespaces/lists/configmaps';
    const created = await adminB.post(base, cm('from-b'));
    assert.equal(created.status, 201);
    const rv = created.json.metadata.resourceVersion;
    const list = await adminA.get(`${base}?resourceVersion=${rv}`);
    assert.equal(list.status, 200);
    assert.ok(names(list).includes('from-b'));
    assert.ok(BigInt(list.json.metadata.resourceVersion) >= BigInt(rv));
  });

  it("list one node's pods by spec.nodeName, and the unscheduled ones by spec.nodeName=", async () => {
    const base = '/api/v1/namespaces/lists/pods';
    for (const [name, node] of [
      ['p-a1', 'node-a'],
      ['p-b1', 'node-b'],
      ['p-a2', 'node-a'],
      ['p-none', undefined],
    ] as const) {
      assert.equal((await adminA.post(base, pod(name, node))).status, 201);
    }
    const sel = (s: string) =>
      adminA.get(`/api/v1/pods?resourceVersion=0&fieldSelector=${encodeURIComponent(s)}`);
    assert.deepEqual(names(await sel('spec.nodeName=node-a')), ['p-a1', 'p-a2']);
    assert.deepEqual(names(await sel('spec.nodeName=node-a,metadata.name!=p-a1')), ['p-a2']);
    assert.deepEqual(names(await sel('spec.nodeName=')), ['p-none']);
    assert.deepEqual(names(await sel('spec.nodeName!=node-a')), ['p-b1', 'p-none']);
    // Bound after creation (the scheduler's binding): the index follows the pod to its node.
    const bind = await adminA.post(`${base}/p-none/binding`, {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'p-none' },
      target: { apiVersion: 'v1', kind: 'Node', name: 'node-b' },
    });
    assert.equal(bind.status, 201, bind.text);
    assert.deepEqual(names(await sel('spec.nodeName=node-b')), ['p-b1', 'p-none']);
    assert.deepEqual(names(await sel('spec.nodeName=')), []);
    assert.equal((await adminA.delete(`${base}/p-a1?gracePeriodSeconds=0`)).status, 200);
    assert.deepEqual(names(await sel('spec.nodeName=node-a')), ['p-a2']);
  });
});

describe('updates starting from the cached object', () => {
  const lease = (name: string, holder: string) => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace: 'kube-node-lease' },
    spec: { holderIdentity: holder, leaseDurationSeconds: 40 },
  });
  const path = (name: string) => `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${name}`;

  it('accept a resourceVersion another server just returned, and refuse an older one with 409', async () => {
    const created = await adminA.post(
      '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases',
      lease('l1', 'a'),
    );
    assert.equal(created.status, 201, created.text);
    let cur = created.json;
    for (let i = 0; i < 20; i++) {
      // B moves the lease on; A, whose cache may not have seen that yet, is given B's answer.
      const viaB = await adminB.put(path('l1'), { ...cur, spec: { ...cur.spec, holderIdentity: `b-${i}` } });
      assert.equal(viaB.status, 200, viaB.text);
      const viaA = await adminA.put(path('l1'), {
        ...viaB.json,
        spec: { ...viaB.json.spec, holderIdentity: `a-${i}` },
      });
      assert.equal(viaA.status, 200, `round ${i}: ${viaA.text}`);
      assert.equal(viaA.json.spec.holderIdentity, `a-${i}`);
      const stale = await adminA.put(path('l1'), {
        ...viaB.json,
        spec: { ...viaB.json.spec, holderIdentity: 'stale' },
      });
      assert.equal(stale.status, 409, `round ${i}: ${stale.text}`);
      assert.equal(stale.json.reason, 'Conflict');
      cur = viaA.json;
    }
    const final = await adminB.get(path('l1'));
    assert.equal(final.json.spec.holderIdentity, 'a-19');
  });

  it("apply a patch to etcd's state when the cached copy is behind, even one the stale copy makes a no-op", async () => {
    const base = '/api/v1/namespaces/default/configmaps';
    assert.equal((await adminA.post(base, cm('flip', { x: '0' }))).status, 201);
    const merge = 'application/merge-patch+json';
    for (let i = 1; i <= 20; i++) {
      // B sets x=i; A at once sets x back to i-1, the value its cached copy may still hold.
      const viaB = await adminB.patch(`${base}/flip`, { data: { x: String(i) } }, merge);
      assert.equal(viaB.status, 200, viaB.text);
      const viaA = await adminA.patch(`${base}/flip`, { data: { x: String(i - 1) } }, merge);
      assert.equal(viaA.status, 200, viaA.text);
      assert.equal(viaA.json.data.x, String(i - 1));
      assert.ok(
        BigInt(viaA.json.metadata.resourceVersion) > BigInt(viaB.json.metadata.resourceVersion),
        `round ${i}: A wrote`,
      );
      const stored = await adminB.get(`${base}/flip`);
      assert.equal(stored.json.data.x, String(i - 1), `round ${i}: A's patch is in etcd`);
      // And back to i through B, so that the next round starts from a change A has not seen.
      assert.equal((await adminB.patch(`${base}/flip`, { data: { x: String(i) } }, merge)).status, 200);
    }
  });
});

describe('admission lookups', () => {
  it('see a namespace another server created a moment ago, and a priority class just created here', async () => {
    for (let i = 0; i < 5; i++) {
      const ns = `fresh-${i}`;
      const created = await adminB.post('/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns },
      });
      assert.equal(created.status, 201, created.text);
      const content = await adminA.post(`/api/v1/namespaces/${ns}/configmaps`, cm('x'));
      assert.equal(content.status, 201, `round ${i}: ${content.text}`);
      const pc = await adminA.post('/apis/scheduling.k8s.io/v1/priorityclasses', {
        apiVersion: 'scheduling.k8s.io/v1',
        kind: 'PriorityClass',
        metadata: { name: `pc-${i}` },
        value: 1000 + i,
      });
      assert.equal(pc.status, 201, pc.text);
      const p = await adminA.post(
        `/api/v1/namespaces/${ns}/pods`,
        pod('p', undefined, { priorityClassName: `pc-${i}` }),
      );
      assert.equal(p.status, 201, `round ${i}: ${p.text}`);
      assert.equal(p.json.spec.priority, 1000 + i);
    }
  });
});

describe("the Node authorizer's pods", () => {
  it('grant a secret of a pod bound through another server a moment ago, and refuse it once the pod is deleted', async () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'token-x' }, data: { k: 'dg==' } };
    assert.equal((await adminA.post('/api/v1/namespaces/default/secrets', secret)).status, 201);
    const get = () => kubeletA.get('/api/v1/namespaces/default/secrets/token-x');
    assert.equal((await get()).status, 403, 'no pod of the node uses it yet');
    for (let i = 0; i < 5; i++) {
      const withSecret = pod(`uses-secret-${i}`, NODE, {
        volumes: [{ name: 's', secret: { secretName: 'token-x' } }],
      });
      assert.equal((await adminB.post('/api/v1/namespaces/default/pods', withSecret)).status, 201);
      assert.equal((await get()).status, 200, `round ${i}: the pod bound through B counts on A at once`);
      const del = await adminA.delete(
        `/api/v1/namespaces/default/pods/uses-secret-${i}?gracePeriodSeconds=0`,
      );
      assert.equal(del.status, 200);
      const refused = await get();
      assert.equal(refused.status, 403, `round ${i}: the deleted pod no longer counts`);
      assert.match(refused.json.message, /no relationship found between node 'node-1' and this object$/);
    }
  });
});
