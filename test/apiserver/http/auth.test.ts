// Authentication and authorization refusals, with the status codes and messages the real
// kube-apiserver (Node,RBAC authorizers; NodeRestriction) answers with.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeEtcdTestPki } from '../../helpers/etcd.js';
import { MemoryStorage } from '../../../src/apiserver/storage/index.js';
import {
  NODE,
  renderAssets,
  startShim,
  type Assets,
  type Client,
  type Identity,
  type Shim,
} from './support.js';

let assets: Assets;
let foreign: Identity;
let foreignDir: string;

before(async () => {
  assets = await renderAssets();
  foreignDir = await mkdtemp(join(tmpdir(), 'shim-foreign-ca-'));
  const pki = await makeEtcdTestPki(foreignDir);
  foreign = {
    cert: await readFile(pki.clientCertFile, 'utf8'),
    key: await readFile(pki.clientKeyFile, 'utf8'),
  };
});

after(async () => {
  await assets?.cleanup();
  if (foreignDir) await rm(foreignDir, { recursive: true, force: true });
});

describe('standalone mode', () => {
  let shim: Shim;
  let admin: Client;
  let kubelet: Client;
  let anonymous: Client;

  before(async () => {
    shim = await startShim(assets, new MemoryStorage());
    admin = shim.client(assets.admin);
    kubelet = shim.client(assets.kubelet);
    anonymous = shim.client();
  });
  after(async () => {
    for (const c of [admin, kubelet, anonymous]) c?.close();
    await shim?.close();
  });

  it('lets the anonymous user read health and version only', async () => {
    for (const path of ['/healthz', '/livez', '/readyz', '/version']) {
      const r = await anonymous.get(path);
      assert.equal(r.status, 200, `${path}: ${r.text}`);
    }
    const pods = await anonymous.get('/api/v1/pods');
    assert.equal(pods.status, 403);
    assert.deepEqual(pods.json, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" at the cluster scope',
      reason: 'Forbidden',
      details: { kind: 'pods' },
      code: 403,
    });
    const api = await anonymous.get('/api');
    assert.equal(api.status, 403);
    assert.equal(api.json.message, 'forbidden: User "system:anonymous" cannot get path "/api"');
  });

  it('answers a certificate from another CA with 401, not a handshake failure', async () => {
    const stranger = shim.client(foreign);
    const r = await stranger.get('/api/v1/namespaces');
    stranger.close();
    assert.equal(r.status, 401);
    assert.deepEqual(r.json, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    });
    const health = await shim.client(foreign).get('/healthz');
    assert.equal(health.status, 401, 'a bad certificate is not anonymous');
  });

  it("limits a node to its own objects, with the Node authorizer's reasons", async () => {
    const allPods = await kubelet.get('/api/v1/pods');
    assert.equal(allPods.status, 403);
    assert.equal(
      allPods.json.message,
      `pods is forbidden: User "system:node:${NODE}" cannot list resource "pods" in API group "" at the cluster scope: can only list/watch pods with spec.nodeName field selector`,
    );
    const allNodes = await kubelet.get('/api/v1/nodes');
    assert.equal(
      allNodes.json.message,
      `nodes is forbidden: User "system:node:${NODE}" cannot list resource "nodes" in API group "" at the cluster scope: node '${NODE}' cannot read all nodes, only its own Node object`,
    );
    const otherNode = await kubelet.get('/api/v1/nodes/node-9');
    assert.equal(otherNode.status, 403);
    const cm = await kubelet.post('/api/v1/namespaces/default/configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x' },
    });
    assert.equal(cm.status, 403);
    assert.equal(
      cm.json.message,
      `configmaps is forbidden: User "system:node:${NODE}" cannot create resource "configmaps" in API group "" in the namespace "default": can only read resources of this type`,
    );
    const lease = await kubelet.post('/apis/coordination.k8s.io/v1/namespaces/default/leases', {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: NODE },
    });
    assert.equal(lease.status, 403);
    assert.match(lease.json.message, /can only access leases in the "kube-node-lease" system namespace$/);
    const otherLease = await kubelet.post('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'node-9' },
    });
    assert.equal(otherLease.status, 403);
    assert.equal(
      otherLease.json.message,
      'leases.coordination.k8s.io "node-9" is forbidden: can only access node lease with the same name as the requesting node',
    );
    const label = await kubelet.post('/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: NODE, labels: { 'node-role.kubernetes.io/control-plane': '' } },
    });
    assert.equal(label.status, 403);
    assert.equal(
      label.json.message,
      `nodes "${NODE}" is forbidden: node "${NODE}" is not allowed to set the following labels: node-role.kubernetes.io/control-plane`,
    );
    const csr = await kubelet.get(
      '/apis/certificates.k8s.io/v1/certificatesigningrequests?fieldSelector=metadata.name%3Dcsr-1',
    );
    assert.equal(csr.status, 200, 'CSR reads are in the node rules');
  });

  it('lets any authenticated user discover, and the admin do anything', async () => {
    const api = await kubelet.get('/api');
    assert.equal(api.status, 200);
    const ns = await admin.get('/api/v1/namespaces');
    assert.equal(ns.status, 200);
    assert.deepEqual(ns.json.items.map((n: any) => n.metadata.name).sort(), [
      'default',
      'kube-node-lease',
      'kube-public',
      'kube-system',
    ]);
  });

  it('answers who-am-I and can-i from its own authorizer', async () => {
    const me = await kubelet.post('/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'SelfSubjectReview',
    });
    assert.equal(me.status, 201, me.text);
    assert.deepEqual(me.json.status.userInfo, {
      username: `system:node:${NODE}`,
      groups: ['system:nodes', 'system:authenticated'],
    });
    const can = await kubelet.post('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { verb: 'list', resource: 'pods' } },
    });
    assert.equal(can.status, 201);
    assert.equal(can.json.status.allowed, false);
  });
});

describe('bootstrap mode', () => {
  let shim: Shim;

  before(async () => {
    shim = await startShim(assets, new MemoryStorage(), { mode: 'bootstrap', nodeName: NODE });
  });
  after(() => shim?.close());

  it('serves its node and the admin, and tells everyone else to retry with 503 and Retry-After', async () => {
    const admin = shim.client(assets.admin);
    const kubelet = shim.client(assets.kubelet);
    const cm = shim.client(assets.controllerManager);
    try {
      assert.equal(
        (
          await admin.post('/api/v1/namespaces', {
            apiVersion: 'v1',
            kind: 'Namespace',
            metadata: { name: 'kube-system' },
          })
        ).status,
        201,
      );
      assert.equal((await kubelet.get(`/api/v1/nodes?fieldSelector=metadata.name%3D${NODE}`)).status, 200);
      const refused = await cm.get('/api/v1/pods');
      assert.equal(refused.status, 503);
      assert.equal(refused.headers['retry-after'], '1');
      assert.equal(refused.json.reason, 'ServiceUnavailable');
      assert.equal(refused.json.kind, 'Status');
      assert.equal((await cm.get('/readyz')).status, 200, 'health stays public');
      const token = await admin.post('/api/v1/namespaces/kube-system/serviceaccounts/default/token', {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {},
      });
      assert.equal(token.status, 404, 'no signing key: no token subresource');
    } finally {
      for (const c of [admin, kubelet, cm]) c.close();
    }
  });

  it('keeps events out of the main storage', async () => {
    const storage = new MemoryStorage();
    const s = await startShim(assets, storage, { mode: 'bootstrap', nodeName: NODE });
    const admin = s.client(assets.admin);
    try {
      assert.equal(
        (
          await admin.post('/api/v1/namespaces', {
            apiVersion: 'v1',
            kind: 'Namespace',
            metadata: { name: 'default' },
          })
        ).status,
        201,
      );
      const ev = await admin.post('/api/v1/namespaces/default/events', {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'e1' },
        involvedObject: { kind: 'Node', name: NODE },
        reason: 'Starting',
        message: 'm',
        type: 'Normal',
      });
      assert.equal(ev.status, 201, ev.text);
      assert.equal((await admin.get('/api/v1/namespaces/default/events/e1')).status, 200);
      assert.equal(await storage.get('/registry/events/default/e1'), undefined);
      assert.ok(await storage.get('/registry/namespaces/default'));
    } finally {
      admin.close();
      await s.close();
    }
  });
});
