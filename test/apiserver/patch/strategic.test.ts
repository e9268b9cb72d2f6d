// Strategic merge patch as kubectl and controllers send it: merge keys and list order. Every
// expected result was checked against kubectl 1.32 `patch --local` (the same Go code), apart from
// the nulls Go's typed decode drops.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyPatch } from '../../../src/apiserver/patch/index.js';
import { containers, expectDeployment, patchDeployment, type Deployment } from './deployment.js';
import { deepFreeze, PDB, POD, SERVICE } from './support.js';

describe('strategic merge patch: merge keys', () => {
  it(`kubectl patch deploy -p '{"spec":{"template":{"spec":{"containers":[{"name":"a","image":"b"}]}}}}'`, () => {
    const result = patchDeployment({
      spec: { template: { spec: { containers: [{ name: 'a', image: 'b' }] } } },
    });
    assert.deepEqual(
      result,
      expectDeployment((d) => (containers(d)[0]!.image = 'b')),
    );
  });

  it('merges env by name and ports by containerPort inside a container', () => {
    const patch = {
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'a',
                env: [{ name: 'MODE', value: 'y' }],
                ports: [{ containerPort: 80, name: 'http' }],
              },
            ],
          },
        },
      },
    };
    const expected = expectDeployment((d) => {
      containers(d)[0]!.env = [{ name: 'MODE', value: 'y' }];
      containers(d)[0]!.ports = [{ containerPort: 80, protocol: 'TCP', name: 'http' }];
    });
    assert.deepEqual(patchDeployment(patch), expected);
  });

  it('merges service ports by port and ownerReferences by uid', () => {
    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's', ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'm1', uid: 'n1' }] },
      spec: {
        ports: [
          { port: 443, targetPort: 6443, name: 'https' },
          { port: 80, name: 'http' },
        ],
      },
    };
    const patch = {
      metadata: { ownerReferences: [{ uid: 'n1', controller: true }] },
      spec: { ports: [{ port: 443, targetPort: 8443 }] },
    };
    assert.deepEqual(applyPatch(deepFreeze(service), deepFreeze(patch), 'strategic', SERVICE), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 's',
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'm1', uid: 'n1', controller: true }],
      },
      spec: {
        ports: [
          { port: 443, targetPort: 8443, name: 'https' },
          { port: 80, name: 'http' },
        ],
      },
    });
  });

  it('replaces atomic lists (tolerations) and `replace` maps (PodDisruptionBudget selector)', () => {
    const pod = { kind: 'Pod', spec: { tolerations: [{ key: 'a', operator: 'Exists' }], containers: [] } };
    assert.deepEqual(
      applyPatch(pod, { spec: { tolerations: [{ key: 'b', operator: 'Exists' }] } }, 'strategic', POD),
      {
        kind: 'Pod',
        spec: { tolerations: [{ key: 'b', operator: 'Exists' }], containers: [] },
      },
    );
    const pdb = {
      kind: 'PodDisruptionBudget',
      spec: { selector: { matchLabels: { app: 'a' }, matchExpressions: [] }, minAvailable: 1 },
    };
    assert.deepEqual(
      applyPatch(pdb, { spec: { selector: { matchLabels: { app: 'b' } } } }, 'strategic', PDB),
      {
        kind: 'PodDisruptionBudget',
        spec: { selector: { matchLabels: { app: 'b' } }, minAvailable: 1 },
      },
    );
  });

  it('null removes a member; unknown members are merged like any map', () => {
    const patch = {
      metadata: { labels: { tier: 'web' } },
      spec: { replicas: null, strategy: { rollingUpdate: { maxSurge: null } } },
    };
    const expected = expectDeployment((d) => {
      Object.assign(d.metadata, { labels: { tier: 'web' } });
      delete (d.spec as Partial<Deployment['spec']>).replicas;
      d.spec.strategy.rollingUpdate = { maxUnavailable: 0 } as typeof d.spec.strategy.rollingUpdate;
    });
    assert.deepEqual(patchDeployment(patch), expected);
  });
});

describe('strategic merge patch: list order', () => {
  // strategicpatch's mergeSortedSlice puts items new to a list before the server-only ones.
  it('a new container with no $setElementOrder is prepended, as kube-apiserver does', () => {
    const result = patchDeployment({
      spec: { template: { spec: { containers: [{ name: 'z', image: 'z:1' }] } } },
    });
    assert.deepEqual(
      result,
      expectDeployment((d) => containers(d).unshift({ name: 'z', image: 'z:1' })),
    );
  });

  it('a finalizer added by merge is prepended; a union keeps each once', () => {
    const result = patchDeployment({ metadata: { finalizers: ['example.com/b', 'example.com/c'] } });
    assert.deepEqual(
      result,
      expectDeployment((d) => (d.metadata.finalizers = ['example.com/a', 'example.com/b', 'example.com/c'])),
    );
    const prepended = patchDeployment({ metadata: { finalizers: ['example.com/c'] } });
    assert.deepEqual(
      prepended,
      expectDeployment((d) => (d.metadata.finalizers = ['example.com/c', 'example.com/a', 'example.com/b'])),
    );
  });

  it('$setElementOrder places new items and keeps server-only items near their neighbours', () => {
    const pod = { kind: 'Pod', spec: { containers: ['1', '2', '9', '3', '4'].map((name) => ({ name })) } };
    const patch = {
      spec: {
        '$setElementOrder/containers': ['2', '1', '5', '4', '3'].map((name) => ({ name })),
        containers: [{ name: '5', image: 'new' }],
      },
    };
    assert.deepEqual(applyPatch(pod, patch, 'strategic', POD), {
      kind: 'Pod',
      // 9 stays after 1 (its old neighbour) but cannot pass 5, which the live list never had.
      spec: {
        containers: [
          { name: '2' },
          { name: '1' },
          { name: '5', image: 'new' },
          { name: '9' },
          { name: '4' },
          { name: '3' },
        ],
      },
    });
  });
});
