// Strategic merge patch directives ($patch, $retainKeys, $setElementOrder,
// $deleteFromPrimitiveList) and the errors, with kube-apiserver's statuses. Checked against
// kubectl 1.32 `patch --local` like strategic.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyPatch } from '../../../src/apiserver/patch/index.js';
import { containers, deployment, expectDeployment, patchDeployment, type Deployment } from './deployment.js';
import { assertPatchError, CRD_KIND, deepFreeze, DEPLOYMENT } from './support.js';

describe('strategic merge patch: directives', () => {
  it('$patch: delete removes a volume and its mount by merge key', () => {
    const patch = {
      spec: {
        template: {
          spec: {
            volumes: [{ name: 'cache', $patch: 'delete' }],
            containers: [{ name: 'a', volumeMounts: [{ mountPath: '/cache', $patch: 'delete' }] }],
          },
        },
      },
    };
    const expected = expectDeployment((d) => {
      d.spec.template.spec.volumes = [
        { name: 'config', configMap: { name: 'a-config' } },
      ] as typeof d.spec.template.spec.volumes;
      containers(d)[0]!.volumeMounts = [{ name: 'config', mountPath: '/etc/a' }];
    });
    assert.deepEqual(patchDeployment(patch), expected);
  });

  it('$patch: replace in a list makes the other items the whole list', () => {
    const result = patchDeployment({
      spec: { template: { spec: { containers: [{ name: 'only', image: 'o:1' }, { $patch: 'replace' }] } } },
    });
    assert.deepEqual(
      result,
      expectDeployment(
        (d) =>
          (d.spec.template.spec.containers = [
            { name: 'only', image: 'o:1' },
          ] as Deployment['spec']['template']['spec']['containers']),
      ),
    );
  });

  it('$patch: replace on a map replaces it; $patch: delete on a map empties it', () => {
    const result = patchDeployment({
      spec: { selector: { $patch: 'replace', matchLabels: { app: 'x' } }, strategy: { $patch: 'delete' } },
    });
    assert.deepEqual(
      result,
      expectDeployment((d) => {
        d.spec.selector = { matchLabels: { app: 'x' } };
        d.spec.strategy = {} as Deployment['spec']['strategy'];
      }),
    );
  });

  it('$retainKeys keeps only the listed members (kubectl apply switching to Recreate)', () => {
    const result = patchDeployment({
      spec: { strategy: { $retainKeys: ['type'], rollingUpdate: null, type: 'Recreate' } },
    });
    assert.deepEqual(
      result,
      expectDeployment((d) => (d.spec.strategy = { type: 'Recreate' } as Deployment['spec']['strategy'])),
    );
  });

  it('$retainKeys in a list item switches a volume source', () => {
    const patch = {
      spec: {
        template: {
          spec: {
            volumes: [{ name: 'cache', $retainKeys: ['hostPath', 'name'], hostPath: { path: '/var/cache' } }],
          },
        },
      },
    };
    const expected = expectDeployment((d) => {
      d.spec.template.spec.volumes[0] = {
        name: 'cache',
        hostPath: { path: '/var/cache' },
      } as unknown as (typeof d.spec.template.spec.volumes)[0];
    });
    assert.deepEqual(patchDeployment(patch), expected);
  });

  it('$retainKeys on a new map is dropped, as the Go decode drops unknown members', () => {
    const { strategy: _dropped, ...spec } = deployment().spec;
    const bare = { ...deployment(), spec };
    const result = applyPatch(
      bare,
      { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
      'strategic',
      DEPLOYMENT,
    );
    assert.deepEqual(
      result,
      expectDeployment((d) => (d.spec.strategy = { type: 'Recreate' } as Deployment['spec']['strategy'])),
    );
  });

  it('$deleteFromPrimitiveList/finalizers removes finalizers; with $setElementOrder it also orders', () => {
    assert.deepEqual(
      patchDeployment({ metadata: { '$deleteFromPrimitiveList/finalizers': ['example.com/a'] } }),
      expectDeployment((d) => (d.metadata.finalizers = ['example.com/b'])),
    );
    const three = expectDeployment((d) => (d.metadata.finalizers = ['a', 'b', 'c']));
    const patch = {
      metadata: { '$setElementOrder/finalizers': ['c', 'a'], '$deleteFromPrimitiveList/finalizers': ['b'] },
    };
    assert.deepEqual(
      applyPatch(three, patch, 'strategic', DEPLOYMENT),
      expectDeployment((d) => (d.metadata.finalizers = ['c', 'a'])),
    );
  });

  it('kubectl apply swapping a container keeps an unmanaged one where kube-apiserver puts it', () => {
    // strategicpatch deletes and appends inside the live list's backing array, so the live order it
    // interleaves against is [c, s, z], not [a, c, s]: s lands before z (kubectl 1.32 agrees).
    const live = expectDeployment((d) => containers(d).push({ name: 's', image: 'injected:1' }));
    const patch = {
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'c' }, { name: 'z' }],
            containers: [
              { name: 'z', image: 'z:1' },
              { $patch: 'delete', name: 'a' },
            ],
          },
        },
      },
    };
    const result = applyPatch(deepFreeze(live), deepFreeze(patch), 'strategic', DEPLOYMENT);
    const expected = expectDeployment(
      (d) =>
        (d.spec.template.spec.containers = [
          { name: 'c', image: 'sidecar:1' },
          { name: 's', image: 'injected:1' },
          { name: 'z', image: 'z:1' },
        ] as Deployment['spec']['template']['spec']['containers']),
    );
    assert.deepEqual(result, expected);
  });

  it('a $patch item for a list that does not exist yet adds nothing', () => {
    const result = patchDeployment({
      spec: {
        template: { spec: { imagePullSecrets: [{ name: 'reg' }, { name: 'old', $patch: 'delete' }] } },
      },
    });
    assert.deepEqual(
      result,
      expectDeployment((d) => Object.assign(d.spec.template.spec, { imagePullSecrets: [{ name: 'reg' }] })),
    );
  });

  it('a null body changes nothing', () => {
    assert.deepEqual(applyPatch(deployment(), null, 'strategic', DEPLOYMENT), deployment());
  });
});

describe('strategic merge patch: errors', () => {
  const internal = (message: RegExp) => ({
    code: 'PATCH_INVALID' as const,
    status: 500,
    reason: '' as const,
    message,
  });
  const badRequest = (message: RegExp) => ({
    code: 'PATCH_INVALID' as const,
    status: 400,
    reason: 'BadRequest' as const,
    message,
  });
  const cases: { name: string; patch: unknown; expected: Parameters<typeof assertPatchError>[1] }[] = [
    {
      name: 'a list item without its merge key (500, as kube-apiserver)',
      patch: { spec: { template: { spec: { containers: [{ image: 'x' }] } } } },
      expected: internal(
        /^spec\.template\.spec\.containers: map \{"image":"x"\} does not contain declared merge key: name$/,
      ),
    },
    {
      name: '$patch: merge on a map',
      patch: { spec: { strategy: { $patch: 'merge' } } },
      expected: internal(/unknown patch type: "merge"/),
    },
    {
      name: '$patch: merge in a list',
      patch: { spec: { template: { spec: { volumes: [{ $patch: 'merge' }] } } } },
      expected: internal(/merging lists cannot yet be specified/),
    },
    {
      name: 'unknown $patch in a list',
      patch: { spec: { template: { spec: { volumes: [{ name: 'x', $patch: 'frob' }] } } } },
      expected: internal(/unknown patch type: "frob"/),
    },
    {
      name: '$setElementOrder that contradicts the patch list',
      patch: {
        metadata: { '$setElementOrder/finalizers': ['example.com/b'], finalizers: ['example.com/a'] },
      },
      expected: internal(
        /metadata\.finalizers: the order in the patch list .* doesn't match \$setElementOrder list/,
      ),
    },
    {
      name: 'items of different types',
      patch: { metadata: { finalizers: [1] } },
      expected: internal(/list element types are not identical/),
    },
    {
      name: '$setElementOrder without a field',
      patch: { metadata: { $setElementOrder: [] } },
      expected: badRequest(/invalid patch format of setElementOrder list/),
    },
    {
      name: '$deleteFromPrimitiveList without a field',
      patch: { metadata: { $deleteFromPrimitiveListfinalizers: [] } },
      expected: badRequest(/invalid patch format of primitive list/),
    },
    {
      name: '$retainKeys that is not a list',
      patch: { spec: { strategy: { $retainKeys: 'type' } } },
      expected: badRequest(/retainKeys: not a list/),
    },
    {
      name: '$retainKeys that omits a patched member',
      patch: { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: {} } } },
      expected: badRequest(/"rollingUpdate" is not listed/),
    },
    {
      name: 'a body that is an array',
      patch: [{ op: 'add' }],
      expected: badRequest(/cannot unmarshal array into Go value/),
    },
  ];
  for (const c of cases) it(c.name, () => assertPatchError(() => patchDeployment(c.patch), c.expected));

  it('a list of lists (422)', () => {
    const empty = expectDeployment((d) => (d.metadata.finalizers = []));
    assertPatchError(
      () => applyPatch(empty, { metadata: { finalizers: [['a']] } }, 'strategic', DEPLOYMENT),
      {
        code: 'PATCH_INVALID',
        status: 422,
        reason: 'Invalid',
        message: /lists of lists are not supported/,
      },
    );
  });

  it('custom resources: 415, as kube-apiserver offers them json and merge patches only', () => {
    const widget = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } };
    assertPatchError(() => applyPatch(widget, { spec: { a: 1 } }, 'strategic', CRD_KIND), {
      code: 'PATCH_UNSUPPORTED',
      status: 415,
      reason: 'UnsupportedMediaType',
      message: /not supported for example\.com\/v1, Kind=Widget.*application\/merge-patch\+json/,
    });
  });
});
