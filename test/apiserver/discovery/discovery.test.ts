// Discovery documents: their shapes parse with @kubernetes/client-node's models, list what the real
// server lists (reference §4.1; k/k api/discovery/*.json), and follow the registry's CRDs.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1APIGroupList, V1APIResourceList, V1APIVersions } from '@kubernetes/client-node';
// The generated models' serializer is not re-exported by the package index; the client uses it on every response.
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { createRegistry } from '../../../src/apiserver/registry/index.js';
import {
  aggregatedDiscovery,
  apiGroupList,
  apiResourceList,
  apiVersions,
  compareKubeVersions,
  openApiV2,
  openApiV3Paths,
  openApiV3Schema,
  versionInfo,
} from '../../../src/apiserver/discovery/index.js';

const SHIRTS_CRD = {
  metadata: { name: 'shirts.stable.example.com' },
  spec: {
    group: 'stable.example.com',
    scope: 'Namespaced',
    names: { plural: 'shirts', kind: 'Shirt', shortNames: ['sh'] },
    versions: [
      { name: 'v1beta1', served: true, storage: false },
      { name: 'v1', served: true, storage: true, subresources: { status: {} } },
    ],
  },
};

/** The JSON a client receives, parsed by the client library's own model. */
function asClientSees<T>(doc: object | undefined, type: string): T {
  assert.ok(doc, `a ${type}`);
  return ObjectSerializer.deserialize(JSON.parse(JSON.stringify(doc)), type, '') as T;
}

describe('legacy discovery', () => {
  const reg = createRegistry();

  test('/api lists v1 and the advertised address', () => {
    const versions = asClientSees<V1APIVersions>(apiVersions('10.0.0.10:6443'), 'V1APIVersions');
    assert.deepEqual(versions.versions, ['v1']);
    assert.deepEqual(
      versions.serverAddressByClientCIDRs?.map((a) => ({ ...a })),
      [{ clientCIDR: '0.0.0.0/0', serverAddress: '10.0.0.10:6443' }],
    );
  });

  test('/apis lists the groups in kube-apiserver order, preferred version first', () => {
    const list = asClientSees<V1APIGroupList>(apiGroupList(reg), 'V1APIGroupList');
    const names = list.groups.map((g) => g.name);
    assert.deepEqual(names.slice(0, 3), ['apps', 'events.k8s.io', 'authentication.k8s.io']);
    assert.ok(!names.includes(''), 'core is not a group of /apis');
    const apps = list.groups.find((g) => g.name === 'apps')!;
    assert.deepEqual({ ...apps.preferredVersion }, { groupVersion: 'apps/v1', version: 'v1' });
  });

  test('/api/v1: pods with the verbs, short names, categories and subresources of api__v1.json', () => {
    const list = asClientSees<V1APIResourceList>(apiResourceList(reg, '', 'v1'), 'V1APIResourceList');
    assert.equal(list.groupVersion, 'v1');
    const byName = new Map(list.resources.map((r) => [r.name, r]));
    const pods = byName.get('pods')!;
    assert.deepEqual(
      { ...pods },
      {
        name: 'pods',
        singularName: 'pod',
        namespaced: true,
        kind: 'Pod',
        verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
        shortNames: ['po'],
        categories: ['all'],
        storageVersionHash: 'xPOwRZ+Yhw8=',
      },
    );
    assert.deepEqual(byName.get('pods/status')?.verbs, ['get', 'patch', 'update']);
    assert.deepEqual(
      { ...byName.get('pods/eviction') },
      {
        name: 'pods/eviction',
        singularName: '',
        namespaced: true,
        kind: 'Eviction',
        verbs: ['create'],
        group: 'policy',
        version: 'v1',
      },
    );
    assert.equal(byName.get('serviceaccounts/token')?.kind, 'TokenRequest');
    assert.deepEqual(byName.get('namespaces')?.verbs, [
      'create',
      'delete',
      'get',
      'list',
      'patch',
      'update',
      'watch',
    ]);
    assert.equal(byName.get('configmaps')?.storageVersionHash, 'qFsyl6wFWjQ=');
  });

  test('group versions: apps/v1 scale, virtual reviews without a storage hash, unknown ones undefined', () => {
    const apps = asClientSees<V1APIResourceList>(apiResourceList(reg, 'apps', 'v1'), 'V1APIResourceList');
    const scale = apps.resources.find((r) => r.name === 'deployments/scale')!;
    assert.deepEqual([scale.group, scale.version, scale.kind], ['autoscaling', 'v1', 'Scale']);
    assert.equal(apps.resources.find((r) => r.name === 'deployments')?.storageVersionHash, '8aSe+NMegvE=');
    const authz = asClientSees<V1APIResourceList>(
      apiResourceList(reg, 'authorization.k8s.io', 'v1'),
      'V1APIResourceList',
    );
    const sar = authz.resources.find((r) => r.name === 'subjectaccessreviews')!;
    assert.deepEqual([sar.verbs, sar.storageVersionHash], [['create'], undefined]);
    assert.equal(apiResourceList(reg, 'apps', 'v1beta2'), undefined);
    assert.equal(apiResourceList(reg, 'batch', 'v1'), undefined);
  });

  test('a synced CRD appears in /apis and gets its own resource lists; removing it removes them', () => {
    const r = createRegistry();
    r.syncCustomResources([SHIRTS_CRD]);
    const group = (apiGroupList(r) as V1APIGroupList).groups.find((g) => g.name === 'stable.example.com')!;
    assert.deepEqual(
      group.versions.map((v) => v.version),
      ['v1', 'v1beta1'],
    );
    assert.equal(group.preferredVersion?.version, 'v1');
    const list = asClientSees<V1APIResourceList>(
      apiResourceList(r, 'stable.example.com', 'v1'),
      'V1APIResourceList',
    );
    assert.deepEqual(
      list.resources.map((x) => x.name),
      ['shirts', 'shirts/status'],
    );
    r.syncCustomResources([]);
    assert.equal(apiResourceList(r, 'stable.example.com', 'v1'), undefined);
  });

  test('/version', () => {
    assert.deepEqual(
      (({ major, minor, gitVersion }) => ({ major, minor, gitVersion }))(
        versionInfo('v1.32.4') as Record<string, string>,
      ),
      { major: '1', minor: '32', gitVersion: 'v1.32.4' },
    );
  });

  test('kube-aware version order', () => {
    assert.deepEqual(['v1alpha1', 'v1', 'v2beta1', 'v1beta2', 'v2', 'foo'].sort(compareKubeVersions), [
      'v2',
      'v1',
      'v2beta1',
      'v1beta2',
      'v1alpha1',
      'foo',
    ]);
  });
});

describe('aggregated discovery', () => {
  const reg = createRegistry();

  test('/api: one item, the core group, with pods and its subresources', () => {
    const doc = aggregatedDiscovery(reg, 'api') as {
      kind: string;
      apiVersion: string;
      items: { metadata: object; versions: { version: string; resources: Record<string, unknown>[] }[] }[];
    };
    assert.equal(doc.kind, 'APIGroupDiscoveryList');
    assert.equal(doc.apiVersion, 'apidiscovery.k8s.io/v2');
    assert.equal(doc.items.length, 1);
    assert.deepEqual(doc.items[0].metadata, {});
    const pods = doc.items[0].versions[0].resources.find((r) => r.resource === 'pods')!;
    assert.deepEqual(pods.responseKind, { group: '', version: '', kind: 'Pod' });
    assert.equal(pods.scope, 'Namespaced');
    assert.deepEqual(pods.subresources, [
      {
        subresource: 'binding',
        responseKind: { group: '', version: '', kind: 'Binding' },
        verbs: ['create'],
      },
      {
        subresource: 'eviction',
        responseKind: { group: 'policy', version: 'v1', kind: 'Eviction' },
        verbs: ['create'],
      },
      { subresource: 'log', responseKind: { group: '', version: '', kind: 'Pod' }, verbs: ['get'] },
      {
        subresource: 'status',
        responseKind: { group: '', version: '', kind: 'Pod' },
        verbs: ['get', 'patch', 'update'],
      },
    ]);
  });

  test('/apis: every other group, each version Current', () => {
    const doc = aggregatedDiscovery(reg, 'apis') as {
      items: { metadata: { name: string }; versions: { freshness: string }[] }[];
    };
    assert.equal(doc.items[0].metadata.name, 'apps');
    assert.ok(doc.items.every((g) => g.versions.every((v) => v.freshness === 'Current')));
    const crd = doc.items.find((g) => g.metadata.name === 'apiextensions.k8s.io') as unknown as {
      versions: { resources: { shortNames: string[]; categories: string[]; scope: string }[] }[];
    };
    assert.deepEqual(crd.versions[0].resources[0].shortNames, ['crd', 'crds']);
    assert.deepEqual(crd.versions[0].resources[0].categories, ['api-extensions']);
    assert.equal(crd.versions[0].resources[0].scope, 'Cluster');
  });
});

describe('openapi', () => {
  const reg = createRegistry();
  reg.syncCustomResources([SHIRTS_CRD]);

  test('the v3 index points at every group version, with a content hash', () => {
    const { paths } = openApiV3Paths(reg) as { paths: Record<string, { serverRelativeURL: string }> };
    assert.match(paths['api/v1'].serverRelativeURL, /^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]{128}$/);
    assert.ok(paths['apis/apps/v1']);
    assert.ok(paths['apis/stable.example.com/v1beta1']);
  });

  test('every kind has a PATCH with its GVK and fieldValidation, and no strategic merge body', () => {
    const doc = openApiV3Schema(reg, 'apps', 'v1') as { paths: Record<string, Record<string, any>> };
    const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    assert.deepEqual(patch['x-kubernetes-group-version-kind'], {
      group: 'apps',
      version: 'v1',
      kind: 'Deployment',
    });
    assert.ok(
      patch.parameters.some(
        (p: { name: string; in: string }) => p.name === 'fieldValidation' && p.in === 'query',
      ),
    );
    assert.deepEqual(Object.keys(patch.requestBody.content).sort(), [
      'application/json-patch+json',
      'application/merge-patch+json',
    ]);
    const nodes = (openApiV3Schema(reg, '', 'v1') as { paths: Record<string, object> }).paths;
    assert.ok(nodes['/api/v1/nodes/{name}'], 'cluster-scoped paths have no namespace');
    assert.equal(openApiV3Schema(reg, 'apps', 'v1beta1'), undefined);
  });

  test('schemas keep unknown fields and carry their GVK', () => {
    const doc = openApiV3Schema(reg, 'stable.example.com', 'v1') as {
      components: { schemas: Record<string, Record<string, unknown>> };
    };
    const shirt = doc.components.schemas['com.example.stable.v1.Shirt'];
    assert.equal(shirt['x-kubernetes-preserve-unknown-fields'], true);
    assert.deepEqual(shirt['x-kubernetes-group-version-kind'], [
      { group: 'stable.example.com', version: 'v1', kind: 'Shirt' },
    ]);
    const v2 = openApiV2(reg) as { swagger: string; definitions: Record<string, unknown> };
    assert.equal(v2.swagger, '2.0');
    assert.ok(v2.definitions['io.k8s.api.core.v1.Pod']);
    assert.ok(
      v2.definitions['io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition'],
    );
  });
});
