// Object lifecycles the handlers own: namespaces and their finalization, finalizers, generateName,
// dry runs, service IPs, CRDs and their custom resources; and the non-resource paths.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { MemoryStorage } from '../../../src/apiserver/storage/index.js';
import { eventually, renderAssets, startShim, type Assets, type Client, type Shim } from './support.js';

let assets: Assets;
let shim: Shim;
let admin: Client;

before(async () => {
  assets = await renderAssets();
  shim = await startShim(assets, new MemoryStorage());
  admin = shim.client(assets.admin);
});
after(async () => {
  admin?.close();
  await shim?.close();
  await assets?.cleanup();
});

const ns = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const cm = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...extra },
});

describe('namespaces', () => {
  it('get the kubernetes finalizer, a default service account and kube-root-ca.crt', async () => {
    const r = await admin.post('/api/v1/namespaces', ns('team'));
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.json.spec.finalizers, ['kubernetes']);
    assert.equal(r.json.status.phase, 'Active');
    assert.equal((await admin.get('/api/v1/namespaces/team/serviceaccounts/default')).status, 200);
    const ca = await admin.get('/api/v1/namespaces/team/configmaps/kube-root-ca.crt');
    assert.equal(ca.json.data['ca.crt'], assets.ca);
  });

  it('refuse content in a missing namespace (404) and a terminating one (403)', async () => {
    const missing = await admin.post('/api/v1/namespaces/nowhere/configmaps', cm('x'));
    assert.equal(missing.status, 404);
    assert.equal(missing.json.message, 'namespaces "nowhere" not found');
    await admin.post('/api/v1/namespaces', ns('doomed'));
    await admin.post('/api/v1/namespaces/doomed/configmaps', cm('inside'));
    const del = await admin.delete('/api/v1/namespaces/doomed');
    assert.equal(del.status, 200, del.text);
    assert.equal(del.json.status.phase, 'Terminating');
    await eventually(
      async () => (await admin.get('/api/v1/namespaces/doomed')).status === 404,
      5000,
      'the namespace to be finalized',
    );
    assert.equal((await admin.get('/api/v1/namespaces/doomed/configmaps/inside')).status, 404);
    // A finalizer of someone else's keeps a namespace Terminating: no new content meanwhile.
    await admin.post('/api/v1/namespaces', {
      ...ns('held'),
      metadata: { name: 'held', finalizers: ['example.com/keep'] },
    });
    assert.equal((await admin.delete('/api/v1/namespaces/held')).status, 200);
    const late = await admin.post('/api/v1/namespaces/held/configmaps', cm('late'));
    assert.equal(late.status, 403);
    assert.equal(
      late.json.message,
      'configmaps "late" is forbidden: unable to create new content in namespace held because it is being terminated',
    );
  });

  it('keep default, kube-system and kube-public', async () => {
    const r = await admin.delete('/api/v1/namespaces/kube-system');
    assert.equal(r.status, 403);
    assert.equal(r.json.message, 'namespaces "kube-system" is forbidden: this namespace may not be deleted');
  });
});

describe('writes', () => {
  it('honour finalizers: a delete marks, removing the last finalizer removes', async () => {
    await admin.post(
      '/api/v1/namespaces/default/configmaps',
      cm('held', { finalizers: ['example.com/hold'] }),
    );
    const del = await admin.delete('/api/v1/namespaces/default/configmaps/held');
    assert.equal(del.status, 200);
    assert.ok(del.json.metadata.deletionTimestamp);
    assert.equal(del.json.metadata.deletionGracePeriodSeconds, 0);
    assert.equal((await admin.get('/api/v1/namespaces/default/configmaps/held')).status, 200);
    const freed = await admin.patch(
      '/api/v1/namespaces/default/configmaps/held',
      { metadata: { finalizers: null } },
      'application/merge-patch+json',
    );
    assert.equal(freed.status, 200, freed.text);
    assert.equal((await admin.get('/api/v1/namespaces/default/configmaps/held')).status, 404);
  });

  it('answer deletes of resources without ReturnDeletedObject with a Success Status', async () => {
    await admin.post('/api/v1/namespaces/default/configmaps', cm('plain'));
    const del = await admin.delete('/api/v1/namespaces/default/configmaps/plain');
    assert.equal(del.json.kind, 'Status');
    assert.equal(del.json.status, 'Success');
    assert.equal(del.json.details.name, 'plain');
    assert.equal(del.json.details.kind, 'configmaps');
  });

  it('generate names, and write nothing on a dry run', async () => {
    const r = await admin.post('/api/v1/namespaces/default/configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { generateName: 'gen-' },
    });
    assert.equal(r.status, 201);
    assert.match(r.json.metadata.name, /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    const dry = await admin.post('/api/v1/namespaces/default/configmaps?dryRun=All', cm('dry'));
    assert.equal(dry.status, 201);
    assert.equal((await admin.get('/api/v1/namespaces/default/configmaps/dry')).status, 404);
    const noName = await admin.post('/api/v1/namespaces/default/configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {},
    });
    assert.equal(noName.status, 422);
    assert.equal(noName.json.reason, 'Invalid');
  });

  it('allocate service IPs from the top of the range and refuse one in use', async () => {
    const a = await admin.post('/api/v1/namespaces/default/services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'a' },
      spec: { ports: [{ port: 80 }] },
    });
    assert.equal(a.status, 201, a.text);
    assert.equal(a.json.spec.clusterIP, '10.3.0.254');
    assert.deepEqual(a.json.spec.clusterIPs, ['10.3.0.254']);
    const dns = await admin.post('/api/v1/namespaces/default/services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'dns' },
      spec: { clusterIP: '10.3.0.10', ports: [{ port: 53 }] },
    });
    assert.equal(dns.status, 201, dns.text);
    const clash = await admin.post('/api/v1/namespaces/default/services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'clash' },
      spec: { clusterIP: '10.3.0.10', ports: [{ port: 53 }] },
    });
    assert.equal(clash.status, 422);
    assert.match(clash.json.message, /provided IP is already allocated/);
    const kubernetes = await admin.get('/api/v1/namespaces/default/services/kubernetes');
    assert.equal(kubernetes.json.spec.clusterIP, '10.3.0.1');
  });

  it('serve custom resources as soon as their CRD is created', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
        scope: 'Namespaced',
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    };
    const c = await admin.post('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    assert.equal(c.status, 201, c.text);
    const w = await admin.post('/apis/example.com/v1/namespaces/default/widgets', {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w1' },
      spec: { size: 3 },
    });
    assert.equal(w.status, 201, w.text);
    const list = await admin.get('/apis/example.com/v1/widgets');
    assert.equal(list.json.kind, 'WidgetList');
    assert.equal(list.json.items[0].spec.size, 3);
  });

  it('answer pods/log with a 404 Status saying where logs are', async () => {
    await admin.post('/api/v1/namespaces/default/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c', image: 'i' }] },
    });
    const r = await admin.get('/api/v1/namespaces/default/pods/p/log');
    assert.equal(r.status, 404);
    assert.equal(r.json.kind, 'Status');
    assert.match(r.json.message, /kubelet/);
  });
});

describe('non-resource paths', () => {
  it('serve health checks, verbose and one by one', async () => {
    const v = await admin.get('/readyz?verbose');
    assert.equal(v.status, 200);
    assert.match(
      v.text,
      /^\[\+\]ping ok\n\[\+\]log ok\n\[\+\]etcd ok\n\[\+\]shutdown ok\nreadyz check passed\n$/,
    );
    assert.equal((await admin.get('/livez/etcd')).text, 'ok');
    assert.match(String((await admin.get('/healthz')).headers['content-type']), /^text\/plain/);
  });

  it('serve aggregated discovery with its content type, legacy otherwise', async () => {
    const agg = await admin.get('/apis', {
      accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json',
    });
    assert.equal(
      agg.headers['content-type'],
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
    );
    assert.equal(agg.json.kind, 'APIGroupDiscoveryList');
    const legacy = await admin.get('/apis');
    assert.equal(legacy.json.kind, 'APIGroupList');
    const group = await admin.get('/apis/apps');
    assert.equal(group.json.kind, 'APIGroup');
    const resources = await admin.get('/api/v1');
    assert.equal(resources.json.kind, 'APIResourceList');
  });

  it('answer an unknown path with a 404 Status', async () => {
    for (const path of ['/nope', '/api/v1/widgets', '/apis/nope/v1/things']) {
      const r = await admin.get(path);
      assert.equal(r.status, 404, path);
      assert.deepEqual(r.json, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'the server could not find the requested resource',
        reason: 'NotFound',
        details: {},
        code: 404,
      });
    }
  });

  it('fails /readyz once closing begins, so a hand-off sees the shim going', async () => {
    const s = await startShim(assets, new MemoryStorage());
    const closing = s.close();
    const r = await s.server.handle({ method: 'GET', url: '/readyz', headers: {} });
    await closing;
    assert.equal(r.status, 500);
    assert.match(String(r.body), /\[-\]shutdown failed: reason withheld/);
  });

  it('closes a connection whose TLS handshake ends after close() began, and close() returns', async () => {
    const s = await startShim(assets, new MemoryStorage());
    // Accepted before close(), handshake after it: as a client that connects just as a hand-off starts.
    const raw = net.connect(s.port, '127.0.0.1');
    await once(raw, 'connect');
    const closing = s.close();
    const tlsSocket = tls.connect({
      socket: raw,
      ca: assets.ca,
      cert: assets.admin.cert,
      key: assets.admin.key,
      servername: 'localhost',
    });
    tlsSocket.on('error', () => {});
    await once(tlsSocket, 'close');
    await closing;
    assert.equal(s.server.connectionCount(), 0);
  });
});
