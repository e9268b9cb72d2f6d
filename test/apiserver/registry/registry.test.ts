// The resource table: etcd keys as the reference (§5.3) lists them, lookups, and CRD sync.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createRegistry,
  fromStorage,
  isRegistryUsage,
  storageKey,
  storagePrefixKey,
  toStorage,
} from './support.js';

// /work/shared/reference/kubernetes-api-surface.md §5.3, one row per resource, written out as data.
const REFERENCE_KEYS: [
  apiVersion: string,
  plural: string,
  namespace: string | undefined,
  name: string,
  key: string,
][] = [
  ['v1', 'pods', 'ns1', 'p', '/registry/pods/ns1/p'],
  ['v1', 'nodes', undefined, 'n1', '/registry/minions/n1'],
  ['v1', 'services', 'ns1', 's', '/registry/services/specs/ns1/s'],
  ['v1', 'endpoints', 'ns1', 's', '/registry/services/endpoints/ns1/s'],
  ['apps/v1', 'daemonsets', 'ns1', 'd', '/registry/daemonsets/ns1/d'],
  ['apps/v1', 'deployments', 'ns1', 'd', '/registry/deployments/ns1/d'],
  ['apps/v1', 'replicasets', 'ns1', 'r', '/registry/replicasets/ns1/r'],
  ['v1', 'secrets', 'ns1', 'x', '/registry/secrets/ns1/x'],
  ['v1', 'configmaps', 'ns1', 'x', '/registry/configmaps/ns1/x'],
  ['v1', 'serviceaccounts', 'ns1', 'x', '/registry/serviceaccounts/ns1/x'],
  ['v1', 'namespaces', undefined, 'kube-system', '/registry/namespaces/kube-system'],
  ['coordination.k8s.io/v1', 'leases', 'kube-node-lease', 'node1', '/registry/leases/kube-node-lease/node1'],
  ['v1', 'events', 'default', 'e', '/registry/events/default/e'],
  ['events.k8s.io/v1', 'events', 'default', 'e', '/registry/events/default/e'],
  ['rbac.authorization.k8s.io/v1', 'clusterroles', undefined, 'r', '/registry/clusterroles/r'],
  ['rbac.authorization.k8s.io/v1', 'clusterrolebindings', undefined, 'b', '/registry/clusterrolebindings/b'],
  ['rbac.authorization.k8s.io/v1', 'roles', 'ns1', 'r', '/registry/roles/ns1/r'],
  ['rbac.authorization.k8s.io/v1', 'rolebindings', 'ns1', 'b', '/registry/rolebindings/ns1/b'],
  ['storage.k8s.io/v1', 'csinodes', undefined, 'n1', '/registry/csinodes/n1'],
  ['scheduling.k8s.io/v1', 'priorityclasses', undefined, 'pc', '/registry/priorityclasses/pc'],
  ['policy/v1', 'poddisruptionbudgets', 'ns1', 'p', '/registry/poddisruptionbudgets/ns1/p'],
  ['discovery.k8s.io/v1', 'endpointslices', 'ns1', 'e', '/registry/endpointslices/ns1/e'],
  [
    'apiextensions.k8s.io/v1',
    'customresourcedefinitions',
    undefined,
    'shirts.stable.example.com',
    '/registry/apiextensions.k8s.io/customresourcedefinitions/shirts.stable.example.com',
  ],
  ['stable.example.com/v1', 'shirts', 'ns1', 's', '/registry/stable.example.com/shirts/ns1/s'],
  ['cluster.example.com/v1', 'widgets', undefined, 'w', '/registry/cluster.example.com/widgets/w'],
];

function crd(group: string, plural: string, kind: string, opts: Record<string, unknown> = {}): object {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: opts.scope ?? 'Namespaced',
      names: { plural, kind, ...(opts.names as object) },
      versions: opts.versions ?? [{ name: 'v1', served: true, storage: true }],
    },
  };
}

function lookupApiVersion(reg: ReturnType<typeof createRegistry>, apiVersion: string, plural: string) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  return reg.lookup(group, version, plural);
}

describe('etcd keys', () => {
  const reg = createRegistry();
  reg.syncCustomResources([
    crd('stable.example.com', 'shirts', 'Shirt'),
    crd('cluster.example.com', 'widgets', 'Widget', { scope: 'Cluster' }),
  ]);

  for (const [apiVersion, plural, namespace, name, key] of REFERENCE_KEYS) {
    test(`${plural} (${apiVersion}) live at ${key}`, () => {
      const info = lookupApiVersion(reg, apiVersion, plural);
      assert.ok(info, `${apiVersion} ${plural} is served`);
      assert.equal(storageKey(info, namespace, name), key);
    });
  }

  test('lists and watches read a prefix, all namespaces or one', () => {
    const pods = reg.lookup('', 'v1', 'pods')!;
    assert.equal(storagePrefixKey(pods), '/registry/pods');
    assert.equal(storagePrefixKey(pods, 'kube-system'), '/registry/pods/kube-system');
    assert.equal(storagePrefixKey(reg.lookup('', 'v1', 'nodes')!), '/registry/minions');
  });

  test('a namespaced key without namespace, a virtual review, a namespace on a cluster resource: usage errors', () => {
    assert.throws(() => storageKey(reg.lookup('', 'v1', 'pods')!, undefined, 'p'), isRegistryUsage);
    assert.throws(
      () => storageKey(reg.lookup('authentication.k8s.io', 'v1', 'tokenreviews')!, undefined, 'x'),
      isRegistryUsage,
    );
    assert.throws(() => storagePrefixKey(reg.lookup('', 'v1', 'nodes')!, 'ns1'), isRegistryUsage);
  });

  test('events expire after an hour, as kube-apiserver writes them', () => {
    assert.equal(reg.lookup('', 'v1', 'events')!.ttlSeconds, 3600);
    assert.equal(reg.lookup('events.k8s.io', 'v1', 'events')!.ttlSeconds, 3600);
    assert.equal(reg.lookup('', 'v1', 'pods')!.ttlSeconds, undefined);
  });
});

describe('lookup', () => {
  const reg = createRegistry();

  test('by group, version and plural, with or without a served subresource', () => {
    assert.equal(reg.lookup('', 'v1', 'pods')?.kind, 'Pod');
    assert.equal(reg.lookup('', 'v1', 'pods/status')?.kind, 'Pod');
    assert.equal(reg.lookup('', 'v1', 'pods/eviction')?.kind, 'Pod');
    assert.equal(reg.lookup('', 'v1', 'pods/exec'), undefined);
    assert.equal(reg.lookup('', 'v1', 'po'), undefined, 'short names are for kubectl, not URLs');
    assert.equal(reg.lookup('apps', 'v1beta1', 'deployments'), undefined);
    assert.equal(reg.lookup('apps', 'v1', 'deployments/scale')?.kind, 'Deployment');
  });

  test('by apiVersion and kind', () => {
    assert.equal(reg.byKind('v1', 'Node')?.storagePrefix, 'minions');
    assert.equal(reg.byKind('apps/v1', 'DaemonSet')?.plural, 'daemonsets');
    assert.equal(reg.byKind('events.k8s.io/v1', 'Event')?.group, 'events.k8s.io');
    assert.equal(reg.byKind('v1', 'Event')?.group, '');
    assert.equal(reg.byKind('v1', 'Deployment'), undefined);
  });

  test('the create-only reviews are virtual', () => {
    for (const [group, plural] of [
      ['authentication.k8s.io', 'tokenreviews'],
      ['authorization.k8s.io', 'subjectaccessreviews'],
      ['authorization.k8s.io', 'selfsubjectaccessreviews'],
    ]) {
      const info = reg.lookup(group, 'v1', plural)!;
      assert.equal(info.virtual, true, plural);
      assert.deepEqual(info.verbs, ['create']);
    }
  });
});

describe('custom resources', () => {
  test('a CRD adds its served versions and removing it removes them', () => {
    const reg = createRegistry();
    const before = reg.resources().length;
    reg.syncCustomResources([
      crd('stable.example.com', 'shirts', 'Shirt', {
        names: { shortNames: ['sh'], categories: ['all'] },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            subresources: {
              status: {},
              scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' },
            },
            selectableFields: [{ jsonPath: '.spec.color' }],
          },
          { name: 'v2beta1', served: true, storage: false },
          { name: 'v0', served: false, storage: false },
        ],
      }),
    ]);
    const v1 = reg.lookup('stable.example.com', 'v1', 'shirts');
    assert.deepEqual(
      { ...v1 },
      {
        group: 'stable.example.com',
        version: 'v1',
        kind: 'Shirt',
        listKind: 'ShirtList',
        plural: 'shirts',
        singular: 'shirt',
        namespaced: true,
        shortNames: ['sh'],
        categories: ['all'],
        verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
        storagePrefix: 'stable.example.com/shirts',
        subresources: ['scale', 'status'],
        selectableFields: ['spec.color'],
        crd: 'shirts.stable.example.com',
        scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' },
      },
    );
    assert.equal(
      reg.lookup('stable.example.com', 'v2beta1', 'shirts')?.storageApiVersion,
      'stable.example.com/v1',
    );
    assert.equal(reg.lookup('stable.example.com', 'v0', 'shirts'), undefined, 'not served');
    assert.equal(reg.byKind('stable.example.com/v1', 'Shirt')?.plural, 'shirts');
    assert.equal(reg.resources().length, before + 2);

    reg.syncCustomResources([]);
    assert.equal(reg.lookup('stable.example.com', 'v1', 'shirts'), undefined);
    assert.equal(reg.byKind('stable.example.com/v1', 'Shirt'), undefined);
    assert.equal(reg.resources().length, before);
  });

  test('a CRD may not shadow a built-in resource, and the first of two CRDs for one resource wins', () => {
    const reg = createRegistry();
    reg.syncCustomResources([
      crd('apps', 'deployments', 'Fake'),
      crd('a.example.com', 'things', 'Thing'),
      {
        ...(crd('a.example.com', 'things', 'Other') as object),
        metadata: { name: 'zz-other' },
      },
    ]);
    assert.equal(reg.lookup('apps', 'v1', 'deployments')?.kind, 'Deployment');
    assert.equal(reg.lookup('a.example.com', 'v1', 'things')?.kind, 'Thing');
  });
});

describe('storage versions', () => {
  const reg = createRegistry();

  test('events.k8s.io/v1 Events are stored as core v1 Events and come back', () => {
    const info = reg.lookup('events.k8s.io', 'v1', 'events')!;
    const served = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'e1', namespace: 'default' },
      regarding: { kind: 'Pod', name: 'p', namespace: 'default' },
      note: 'Pulled image',
      reason: 'Pulled',
      type: 'Normal',
      reportingController: 'kubelet',
      reportingInstance: 'node1',
      action: 'Pull',
      eventTime: '2024-05-01T10:00:00.000000Z',
      deprecatedCount: 2,
    };
    const stored = toStorage(info, served);
    assert.deepEqual(stored, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'e1', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' },
      message: 'Pulled image',
      reason: 'Pulled',
      type: 'Normal',
      reportingComponent: 'kubelet',
      reportingInstance: 'node1',
      action: 'Pull',
      eventTime: '2024-05-01T10:00:00.000000Z',
      count: 2,
    });
    assert.deepEqual(fromStorage(info, stored), served);
  });

  test('built-ins stored as served pass through unchanged', () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } };
    assert.deepEqual(toStorage(reg.lookup('', 'v1', 'pods')!, pod), pod);
  });
});
