// The kubelet's conversation with the shim (reference §1), request by request, against real etcd,
// with the kubelet's client certificate: every answer checked as client-go reads it.
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startEtcd, type EtcdHandle } from '../../helpers/etcd.js';
import { createStorage, type Storage } from '../../../src/apiserver/storage/index.js';
import {
  NODE,
  renderAssets,
  startShim,
  type Assets,
  type Client,
  type Shim,
  type WatchStream,
} from './support.js';

const SMP = 'application/strategic-merge-patch+json';

let etcd: EtcdHandle;
let storage: Storage;
let assets: Assets;
let shim: Shim;
let admin: Client;
let kubelet: Client;

before(async () => {
  [etcd, assets] = await Promise.all([startEtcd(), renderAssets()]);
  storage = await createStorage({ backend: 'etcd', endpoints: [etcd.endpoint] });
  shim = await startShim(assets, storage);
  admin = shim.client(assets.admin);
  kubelet = shim.client(assets.kubelet);
});

after(async () => {
  admin?.close();
  kubelet?.close();
  await shim?.close();
  await storage?.close();
  await etcd?.stop();
  await assets?.cleanup();
});

function isJson(r: { headers: Record<string, unknown> }): void {
  assert.match(String(r.headers['content-type']), /^application\/json/);
}

function nodeBody(): object {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: NODE,
      labels: {
        'kubernetes.io/hostname': NODE,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': 'amd64',
      },
      annotations: { 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: { podCIDR: '10.2.0.0/24', podCIDRs: ['10.2.0.0/24'] },
    status: {
      capacity: { cpu: '2', memory: '4Gi', pods: '110' },
      allocatable: { cpu: '2', memory: '4Gi', pods: '110' },
      conditions: [
        {
          type: 'MemoryPressure',
          status: 'False',
          lastHeartbeatTime: '2025-01-01T00:00:00Z',
          lastTransitionTime: '2025-01-01T00:00:00Z',
          reason: 'KubeletHasSufficientMemory',
          message: 'ok',
        },
        {
          type: 'Ready',
          status: 'False',
          lastHeartbeatTime: '2025-01-01T00:00:00Z',
          lastTransitionTime: '2025-01-01T00:00:00Z',
          reason: 'KubeletNotReady',
          message: 'CSINode is not yet initialized',
        },
      ],
      addresses: [
        { type: 'InternalIP', address: '10.0.0.10' },
        { type: 'Hostname', address: NODE },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.32.4',
        osImage: 'Debian',
        kernelVersion: '6.1',
        containerRuntimeVersion: 'containerd://1.7',
        operatingSystem: 'linux',
        architecture: 'amd64',
        machineID: '',
        systemUUID: '',
        bootID: '',
        kubeProxyVersion: '',
      },
    },
  };
}

function pod(name: string, nodeName: string | undefined, extra: Record<string, unknown> = {}): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: name } },
    spec: {
      ...(nodeName ? { nodeName } : {}),
      containers: [
        {
          name: 'c',
          image: 'registry.k8s.io/pause:3.10',
          env: [{ name: 'S', valueFrom: { secretKeyRef: { name: `${name}-secret`, key: 'k' } } }],
        },
      ],
      ...extra,
    },
  };
}

describe('the kubelet conversation', () => {
  let nodeWatch: WatchStream;
  let podWatch: WatchStream;
  let node: any;
  let podA: any;

  before(async () => {
    for (const n of ['a', 'other']) {
      const r = await admin.post('/api/v1/namespaces/default/secrets', {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: `${n}-secret` },
        data: { k: 'dg==' },
      });
      assert.equal(r.status, 201, r.text);
    }
    let r = await admin.post('/api/v1/namespaces/default/pods', pod('a', NODE));
    assert.equal(r.status, 201, r.text);
    podA = r.json;
    r = await admin.post('/api/v1/namespaces/default/pods', pod('other', 'node-2'));
    assert.equal(r.status, 201, r.text);
    r = await admin.post('/api/v1/namespaces/default/services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { selector: { app: 'a' }, ports: [{ port: 80 }] },
    });
    assert.equal(r.status, 201, r.text);
    r = await admin.post('/api/v1/namespaces/default/services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'headless' },
      spec: { clusterIP: 'None', selector: { app: 'a' }, ports: [{ port: 80 }] },
    });
    assert.equal(r.status, 201, r.text);
  });

  after(() => {
    nodeWatch?.close();
    podWatch?.close();
  });

  it('syncs the node informer: list by metadata.name with resourceVersion=0, then watch', async () => {
    const list = await kubelet.get(
      `/api/v1/nodes?fieldSelector=metadata.name%3D${NODE}&limit=500&resourceVersion=0`,
    );
    assert.equal(list.status, 200, list.text);
    isJson(list);
    assert.equal(list.json.kind, 'NodeList');
    assert.equal(list.json.apiVersion, 'v1');
    assert.deepEqual(list.json.items, []);
    assert.match(list.json.metadata.resourceVersion, /^\d+$/);
    nodeWatch = await kubelet.watch(
      `/api/v1/nodes?allowWatchBookmarks=true&fieldSelector=metadata.name%3D${NODE}&resourceVersion=${list.json.metadata.resourceVersion}&timeoutSeconds=331&watch=true`,
    );
    assert.equal(nodeWatch.status, 200);
    assert.match(String(nodeWatch.headers['content-type']), /^application\/json/);
  });

  it('registers the node; a second POST is 409 AlreadyExists and the GET that follows finds it', async () => {
    const r = await kubelet.post('/api/v1/nodes', nodeBody());
    assert.equal(r.status, 201, r.text);
    isJson(r);
    node = r.json;
    assert.equal(node.kind, 'Node');
    assert.match(node.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.match(node.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const again = await kubelet.post('/api/v1/nodes', nodeBody());
    assert.equal(again.status, 409);
    isJson(again);
    assert.deepEqual(again.json, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `nodes "${NODE}" already exists`,
      reason: 'AlreadyExists',
      details: { name: NODE, kind: 'nodes' },
      code: 409,
    });
    const got = await kubelet.get(`/api/v1/nodes/${NODE}`);
    assert.equal(got.status, 200);
    assert.equal(got.json.metadata.uid, node.metadata.uid);
    const events = await nodeWatch.until((ev) => ev.some((e) => e.type === 'ADDED'));
    const added = events.find((e) => e.type === 'ADDED')!;
    assert.equal(added.object.apiVersion, 'v1');
    assert.equal(added.object.kind, 'Node');
    assert.equal(added.object.metadata.resourceVersion, node.metadata.resourceVersion);
    assert.ok(nodeWatch.raw.endsWith('\n'), 'each event ends with a newline');
  });

  it('initializes its CSINode: GET 404, POST, PUT the migrated-plugins annotation', async () => {
    const missing = await kubelet.get(`/apis/storage.k8s.io/v1/csinodes/${NODE}`);
    assert.equal(missing.status, 404);
    assert.equal(missing.json.reason, 'NotFound');
    assert.equal(missing.json.message, `csinodes.storage.k8s.io "${NODE}" not found`);
    assert.deepEqual(missing.json.details, { name: NODE, group: 'storage.k8s.io', kind: 'csinodes' });
    const created = await kubelet.post('/apis/storage.k8s.io/v1/csinodes', {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'CSINode',
      metadata: {
        name: NODE,
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: NODE, uid: node.metadata.uid }],
      },
      spec: { drivers: [] },
    });
    assert.equal(created.status, 201, created.text);
    const updated = await kubelet.put(`/apis/storage.k8s.io/v1/csinodes/${NODE}`, {
      ...created.json,
      metadata: {
        ...created.json.metadata,
        annotations: {
          'storage.alpha.kubernetes.io/migrated-plugins': 'kubernetes.io/aws-ebs,kubernetes.io/gce-pd',
        },
      },
    });
    assert.equal(updated.status, 200, updated.text);
    assert.notEqual(updated.json.metadata.resourceVersion, created.json.metadata.resourceVersion);
  });

  it('creates its lease and renews it; a stale renew is 409 Conflict with the real message', async () => {
    const path = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${NODE}`;
    assert.equal((await kubelet.get(path)).status, 404);
    assert.equal((await kubelet.get(`/api/v1/nodes/${NODE}`)).status, 200);
    const renewTime = '2025-06-01T10:00:00.123456Z';
    const created = await kubelet.post('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: NODE,
        namespace: 'kube-node-lease',
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: NODE, uid: node.metadata.uid }],
      },
      spec: { holderIdentity: NODE, leaseDurationSeconds: 40, renewTime },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.spec.renewTime, renewTime, 'MicroTime kept verbatim');
    const renewed = await kubelet.put(path, {
      ...created.json,
      spec: { ...created.json.spec, renewTime: '2025-06-01T10:00:10.654321Z' },
    });
    assert.equal(renewed.status, 200, renewed.text);
    const stale = await kubelet.put(path, {
      ...created.json,
      spec: { ...created.json.spec, renewTime: '2025-06-01T10:00:20.000001Z' },
    });
    assert.equal(stale.status, 409);
    assert.equal(stale.json.reason, 'Conflict');
    assert.equal(
      stale.json.message,
      `Operation cannot be fulfilled on leases.coordination.k8s.io "${NODE}": the object has been modified; please apply your changes to the latest version and try again`,
    );
    assert.deepEqual(stale.json.details, { name: NODE, group: 'coordination.k8s.io', kind: 'leases' });
    const fresh = await kubelet.get(path);
    const retried = await kubelet.put(path, {
      ...fresh.json,
      spec: { ...fresh.json.spec, renewTime: '2025-06-01T10:00:20.000001Z' },
    });
    assert.equal(retried.status, 200, retried.text);
    assert.equal(retried.json.spec.renewTime, '2025-06-01T10:00:20.000001Z');
  });

  it('lists the CSIDrivers and RuntimeClasses its informers need', async () => {
    for (const path of [
      '/apis/storage.k8s.io/v1/csidrivers?limit=500&resourceVersion=0',
      '/apis/node.k8s.io/v1/runtimeclasses?limit=500&resourceVersion=0',
    ]) {
      const r = await kubelet.get(path);
      assert.equal(r.status, 200, `${path}: ${r.text}`);
      const w = await kubelet.watch(
        `${path.split('?')[0]}?allowWatchBookmarks=true&resourceVersion=${r.json.metadata.resourceVersion}&timeoutSeconds=300&watch=true`,
      );
      assert.equal(w.status, 200);
      w.close();
    }
  });

  it('lists and watches services with spec.clusterIP!=None', async () => {
    const list = await kubelet.get(
      '/api/v1/services?fieldSelector=spec.clusterIP%21%3DNone&limit=500&resourceVersion=0',
    );
    assert.equal(list.status, 200, list.text);
    const names = list.json.items.map((s: any) => s.metadata.name).sort();
    assert.deepEqual(names, ['kubernetes', 'web']);
    const w = await kubelet.watch(
      `/api/v1/services?allowWatchBookmarks=true&fieldSelector=spec.clusterIP%21%3DNone&resourceVersion=${list.json.metadata.resourceVersion}&timeoutSeconds=300&watch=true`,
    );
    assert.equal(w.status, 200);
    w.close();
  });

  it('lists and watches the pods bound to it, seeing a pod enter its selection when bound', async () => {
    const list = await kubelet.get(
      `/api/v1/pods?fieldSelector=spec.nodeName%3D${NODE}&limit=500&resourceVersion=0`,
    );
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(
      list.json.items.map((p: any) => p.metadata.name),
      ['a'],
    );
    const pa = list.json.items[0];
    assert.equal(pa.spec.enableServiceLinks, true, 'API-defaulted pods');
    assert.equal(pa.spec.restartPolicy, 'Always');
    assert.equal(pa.status.phase, 'Pending');
    podWatch = await kubelet.watch(
      `/api/v1/pods?allowWatchBookmarks=true&fieldSelector=spec.nodeName%3D${NODE}&resourceVersion=${list.json.metadata.resourceVersion}&timeoutSeconds=400&watch=true`,
    );
    assert.equal(podWatch.status, 200);
    const unbound = await admin.post('/api/v1/namespaces/default/pods', pod('late', undefined));
    assert.equal(unbound.status, 201, unbound.text);
    const bind = await admin.post('/api/v1/namespaces/default/pods/late/binding', {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'late' },
      target: { apiVersion: 'v1', kind: 'Node', name: NODE },
    });
    assert.equal(bind.status, 201, bind.text);
    assert.equal(bind.json.status, 'Success');
    const twice = await admin.post('/api/v1/namespaces/default/pods/late/binding', {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'late' },
      target: { kind: 'Node', name: 'node-2' },
    });
    assert.equal(twice.status, 409);
    assert.equal(
      twice.json.message,
      `Operation cannot be fulfilled on pods/binding "late": pod late is already assigned to node "${NODE}"`,
    );
    const events = await podWatch.until((ev) => ev.some((e) => e.object?.metadata?.name === 'late'));
    const late = events.find((e) => e.object?.metadata?.name === 'late')!;
    assert.equal(late.type, 'ADDED', 'a pod entering the selection is ADDED');
    assert.equal(late.object.kind, 'Pod');
    assert.equal(late.object.spec.nodeName, NODE);
  });

  it("reads the secret its pod uses, but not another node pod's (403 with the Node authorizer's reason)", async () => {
    const own = await kubelet.get('/api/v1/namespaces/default/secrets/a-secret');
    assert.equal(own.status, 200, own.text);
    const viaList = await kubelet.get(
      '/api/v1/namespaces/default/secrets?fieldSelector=metadata.name%3Da-secret&limit=500&resourceVersion=0',
    );
    assert.equal(viaList.status, 200, viaList.text);
    assert.equal(viaList.json.items.length, 1);
    const other = await kubelet.get('/api/v1/namespaces/default/secrets/other-secret');
    assert.equal(other.status, 403);
    assert.equal(other.json.reason, 'Forbidden');
    assert.equal(
      other.json.message,
      `secrets "other-secret" is forbidden: User "system:node:${NODE}" cannot get resource "secrets" in API group "" in the namespace "default": no relationship found between node '${NODE}' and this object`,
    );
  });

  it('patches pod status with $setElementOrder, nulls and a UID precondition', async () => {
    const cur = await kubelet.get('/api/v1/namespaces/default/pods/a');
    const t = '2025-06-01T10:00:00Z';
    const patch = {
      metadata: { uid: podA.metadata.uid },
      status: {
        '$setElementOrder/conditions': [
          { type: 'PodReadyToStartContainers' },
          { type: 'Initialized' },
          { type: 'Ready' },
          { type: 'ContainersReady' },
          { type: 'PodScheduled' },
        ],
        conditions: [
          { lastProbeTime: null, lastTransitionTime: t, status: 'True', type: 'PodReadyToStartContainers' },
          { lastProbeTime: null, lastTransitionTime: t, status: 'True', type: 'Initialized' },
          {
            lastProbeTime: null,
            lastTransitionTime: t,
            message: null,
            reason: null,
            status: 'True',
            type: 'Ready',
          },
          {
            lastProbeTime: null,
            lastTransitionTime: t,
            message: null,
            reason: null,
            status: 'True',
            type: 'ContainersReady',
          },
          { lastProbeTime: null, lastTransitionTime: t, status: 'True', type: 'PodScheduled' },
        ],
        containerStatuses: [
          {
            name: 'c',
            image: 'registry.k8s.io/pause:3.10',
            imageID: '',
            ready: true,
            restartCount: 0,
            started: true,
            state: { running: { startedAt: t } },
          },
        ],
        hostIP: '10.0.0.10',
        hostIPs: [{ ip: '10.0.0.10' }],
        phase: 'Running',
        podIP: '10.2.0.5',
        podIPs: [{ ip: '10.2.0.5' }],
        startTime: t,
      },
    };
    const r = await kubelet.patch('/api/v1/namespaces/default/pods/a/status', patch, SMP);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.status.phase, 'Running');
    assert.deepEqual(
      r.json.status.conditions.map((c: any) => c.type),
      ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'],
    );
    const ready = r.json.status.conditions.find((c: any) => c.type === 'Ready');
    assert.ok(!('message' in ready) && !('reason' in ready), 'null removes the field');
    assert.deepEqual(r.json.spec, cur.json.spec, 'a status patch leaves the spec alone');
    const wrongUid = await kubelet.patch(
      '/api/v1/namespaces/default/pods/a/status',
      { metadata: { uid: '00000000-0000-0000-0000-000000000000' }, status: { phase: 'Failed' } },
      SMP,
    );
    assert.ok(
      wrongUid.status === 409 || wrongUid.status === 422,
      `a UID mismatch is refused (${wrongUid.status})`,
    );
    assert.equal((await kubelet.get('/api/v1/namespaces/default/pods/a')).json.status.phase, 'Running');
  });

  it('patches node status: conditions merged by type, addresses replaced with $patch: replace', async () => {
    const patch = {
      status: {
        '$setElementOrder/conditions': [{ type: 'MemoryPressure' }, { type: 'Ready' }],
        conditions: [
          {
            lastHeartbeatTime: '2025-06-01T10:01:00Z',
            lastTransitionTime: '2025-06-01T10:01:00Z',
            message: 'kubelet is posting ready status',
            reason: 'KubeletReady',
            status: 'True',
            type: 'Ready',
          },
        ],
        addresses: [
          { type: 'InternalIP', address: '10.0.0.11' },
          { type: 'Hostname', address: NODE },
          { $patch: 'replace' },
        ],
      },
    };
    const r = await kubelet.patch(`/api/v1/nodes/${NODE}/status`, patch, SMP);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.status.addresses, [
      { type: 'InternalIP', address: '10.0.0.11' },
      { type: 'Hostname', address: NODE },
    ]);
    const ready = r.json.status.conditions.find((c: any) => c.type === 'Ready');
    assert.equal(ready.status, 'True');
    assert.equal(
      r.json.status.conditions.find((c: any) => c.type === 'MemoryPressure').reason,
      'KubeletHasSufficientMemory',
    );
    const missing = await kubelet.patch('/api/v1/nodes/node-2/status', { status: { phase: 'Running' } }, SMP);
    assert.equal(missing.status, 404, 'a patch reads the object before admission sees it');
    assert.equal(
      (await admin.post('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-2' } }))
        .status,
      201,
    );
    const other = await kubelet.patch('/api/v1/nodes/node-2/status', { status: { phase: 'Running' } }, SMP);
    assert.equal(other.status, 403);
    assert.equal(
      other.json.message,
      `nodes "node-2" is forbidden: node "${NODE}" is not allowed to modify node "node-2"`,
    );
  });

  it('creates and deletes a mirror pod for itself, but not for another node', async () => {
    const mirror = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `static-${NODE}`,
        namespace: 'kube-system',
        annotations: {
          'kubernetes.io/config.mirror': 'abc123',
          'kubernetes.io/config.hash': 'abc123',
          'kubernetes.io/config.source': 'file',
        },
        ownerReferences: [
          { apiVersion: 'v1', kind: 'Node', name: NODE, uid: node.metadata.uid, controller: true },
        ],
      },
      spec: {
        nodeName: NODE,
        priorityClassName: 'system-node-critical',
        containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }],
      },
    };
    const r = await kubelet.post('/api/v1/namespaces/kube-system/pods', mirror);
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.spec.priority, 2000001000);
    const foreign = await kubelet.post('/api/v1/namespaces/kube-system/pods', {
      ...mirror,
      metadata: { ...mirror.metadata, name: 'static-node-2' },
      spec: { ...mirror.spec, nodeName: 'node-2' },
    });
    assert.equal(foreign.status, 403, foreign.text);
    assert.equal(
      foreign.json.message,
      `pods "static-node-2" is forbidden: node "${NODE}" can only create pods with spec.nodeName set to itself`,
    );
    const notMirror = await kubelet.post('/api/v1/namespaces/default/pods', pod('plain', NODE));
    assert.equal(notMirror.status, 403);
    assert.equal(
      notMirror.json.message,
      `pods "plain" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "${NODE}" can only create mirror pods`,
    );
    const del = await kubelet.delete(`/api/v1/namespaces/kube-system/pods/static-${NODE}`, {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      gracePeriodSeconds: 0,
      preconditions: { uid: r.json.metadata.uid },
    });
    assert.equal(del.status, 200, del.text);
    assert.equal((await admin.get(`/api/v1/namespaces/kube-system/pods/static-${NODE}`)).status, 404);
  });

  it('records events and patches their count', async () => {
    const name = `${NODE}.17e3a8c2f4b9d000`;
    const ev = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: 'default' },
      involvedObject: { kind: 'Node', name: NODE, uid: NODE, apiVersion: 'v1' },
      reason: 'Starting',
      message: 'Starting kubelet.',
      source: { component: 'kubelet', host: NODE },
      firstTimestamp: '2025-06-01T10:00:00Z',
      lastTimestamp: '2025-06-01T10:00:00Z',
      count: 1,
      type: 'Normal',
      reportingComponent: 'kubelet',
      reportingInstance: NODE,
    };
    const r = await kubelet.post('/api/v1/namespaces/default/events', ev);
    assert.equal(r.status, 201, r.text);
    const p = await kubelet.patch(
      `/api/v1/namespaces/default/events/${name}`,
      { count: 2, lastTimestamp: '2025-06-01T10:05:00Z', message: 'Starting kubelet.' },
      SMP,
    );
    assert.equal(p.status, 200, p.text);
    assert.equal(p.json.count, 2);
  });

  it('gets service-account tokens for its pods, signed so the real apiserver verifies them', async () => {
    const r = await kubelet.post('/api/v1/namespaces/default/serviceaccounts/default/token', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        audiences: ['https://kubernetes.default.svc.cluster.local'],
        expirationSeconds: 3607,
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'a', uid: podA.metadata.uid },
      },
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.kind, 'TokenRequest');
    const [h, c, s] = r.json.status.token.split('.');
    const header = JSON.parse(Buffer.from(h, 'base64url').toString());
    const claims = JSON.parse(Buffer.from(c, 'base64url').toString());
    assert.equal(header.alg, 'ES256');
    assert.ok(
      verify(
        'sha256',
        Buffer.from(`${h}.${c}`),
        { key: createPublicKey(assets.serviceAccountPub), dsaEncoding: 'ieee-p1363' },
        Buffer.from(s, 'base64url'),
      ),
    );
    assert.equal(claims.iss, 'https://kubernetes.default.svc.cluster.local');
    assert.equal(claims.sub, 'system:serviceaccount:default:default');
    assert.deepEqual(claims.aud, ['https://kubernetes.default.svc.cluster.local']);
    assert.deepEqual(claims['kubernetes.io'].pod, { name: 'a', uid: podA.metadata.uid });
    assert.equal(claims['kubernetes.io'].namespace, 'default');
    assert.equal(claims['kubernetes.io'].node.name, NODE);
    assert.equal(claims['kubernetes.io'].warnafter, claims.iat + 3607);
    const foreign = await kubelet.post('/api/v1/namespaces/default/serviceaccounts/default/token', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'other', uid: 'x' } },
    });
    assert.equal(foreign.status, 403);
  });

  it('deletes a bound pod gracefully, then finally with grace 0 and a UID precondition', async () => {
    const del = await admin.delete('/api/v1/namespaces/default/pods/a');
    assert.equal(del.status, 200, del.text);
    assert.equal(del.json.kind, 'Pod');
    assert.equal(del.json.metadata.deletionGracePeriodSeconds, 30);
    assert.ok(del.json.metadata.deletionTimestamp);
    await podWatch.until((ev) =>
      ev.some(
        (e) => e.type === 'MODIFIED' && e.object.metadata.name === 'a' && e.object.metadata.deletionTimestamp,
      ),
    );
    const stale = await kubelet.delete('/api/v1/namespaces/default/pods/a', {
      gracePeriodSeconds: 0,
      preconditions: { uid: 'not-the-uid' },
    });
    assert.equal(stale.status, 409);
    assert.match(
      stale.json.message,
      /^Operation cannot be fulfilled on Pod "a": the UID in the precondition \(not-the-uid\) does not match the UID in record/,
    );
    const final = await kubelet.delete('/api/v1/namespaces/default/pods/a', {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      gracePeriodSeconds: 0,
      preconditions: { uid: podA.metadata.uid },
    });
    assert.equal(final.status, 200, final.text);
    const events = await podWatch.until((ev) =>
      ev.some((e) => e.type === 'DELETED' && e.object.metadata.name === 'a'),
    );
    const deleted = events.find((e) => e.type === 'DELETED' && e.object.metadata.name === 'a')!;
    assert.equal(deleted.object.kind, 'Pod');
    assert.equal((await admin.get('/api/v1/namespaces/default/pods/a')).status, 404);
    const gone = await kubelet.get('/api/v1/namespaces/default/pods/a');
    assert.equal(gone.status, 403, 'the Node authorizer knows no pod a any more');
  });
});

describe('the kubelet conversation in bootstrap mode', () => {
  it('registers, leases and runs its bootstrap pod on a shim that serves only it and the admin', async () => {
    const { MemoryStorage } = await import('../../../src/apiserver/storage/index.js');
    const mem = new MemoryStorage();
    const boot = await startShim(assets, mem, { mode: 'bootstrap', nodeName: NODE });
    const a = boot.client(assets.admin);
    const k = boot.client(assets.kubelet);
    try {
      for (const name of ['kube-system', 'kube-node-lease', 'default']) {
        assert.equal(
          (await a.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }))
            .status,
          201,
        );
      }
      const bootPod = await a.post('/api/v1/namespaces/kube-system/pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'bootstrap-kube-apiserver' },
        spec: {
          nodeName: NODE,
          hostNetwork: true,
          automountServiceAccountToken: false,
          priorityClassName: 'system-cluster-critical',
          containers: [{ name: 'kube-apiserver', image: 'registry.k8s.io/kube-apiserver:v1.32.11' }],
        },
      });
      assert.equal(bootPod.status, 201, bootPod.text);
      const list = await k.get(
        `/api/v1/nodes?fieldSelector=metadata.name%3D${NODE}&limit=500&resourceVersion=0`,
      );
      assert.equal(list.status, 200);
      const n = await k.post('/api/v1/nodes', nodeBody());
      assert.equal(n.status, 201, n.text);
      const lease = await k.post('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          name: NODE,
          ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: NODE, uid: n.json.metadata.uid }],
        },
        spec: { holderIdentity: NODE, leaseDurationSeconds: 40, renewTime: '2025-06-01T10:00:00.000000Z' },
      });
      assert.equal(lease.status, 201, lease.text);
      const csi = await k.post('/apis/storage.k8s.io/v1/csinodes', {
        apiVersion: 'storage.k8s.io/v1',
        kind: 'CSINode',
        metadata: { name: NODE },
        spec: { drivers: [] },
      });
      assert.equal(csi.status, 201, csi.text);
      const pods = await k.get(
        `/api/v1/pods?fieldSelector=spec.nodeName%3D${NODE}&limit=500&resourceVersion=0`,
      );
      assert.deepEqual(
        pods.json.items.map((p: any) => p.metadata.name),
        ['bootstrap-kube-apiserver'],
      );
      assert.equal(pods.json.items[0].spec.enableServiceLinks, true);
      assert.equal(pods.json.items[0].spec.priority, 2000000000);
      assert.equal(
        pods.json.items[0].spec.serviceAccountName,
        undefined,
        'no service-account admission without a controller to make accounts',
      );
      const st = await k.patch(
        '/api/v1/namespaces/kube-system/pods/bootstrap-kube-apiserver/status',
        { metadata: { uid: bootPod.json.metadata.uid }, status: { phase: 'Running' } },
        SMP,
      );
      assert.equal(st.status, 200, st.text);
      const ev = await k.post('/api/v1/namespaces/default/events', {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'boot.1' },
        involvedObject: { kind: 'Node', name: NODE },
        reason: 'Starting',
        message: 'm',
        type: 'Normal',
      });
      assert.equal(ev.status, 201, ev.text);
      assert.equal(await mem.get('/registry/events/default/boot.1'), undefined, 'events stay in memory');
      assert.ok(await mem.get(`/registry/leases/kube-node-lease/${NODE}`));
    } finally {
      a.close();
      k.close();
      await boot.close();
    }
  });
});
