// The module's contract: content types, body parsing, copies, prototype safety, the error class.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../../../src/errors.js';
import {
  applyPatch,
  parsePatch,
  PatchError,
  patchTypeOf,
  type PatchType,
} from '../../../src/apiserver/patch/index.js';
import { assertPatchError, CONFIGMAP, CRD_KIND, deepFreeze, DEPLOYMENT, POD } from './support.js';

describe('patchTypeOf', () => {
  const cases: [string | undefined, PatchType | undefined][] = [
    ['application/json-patch+json', 'json'],
    ['application/merge-patch+json', 'merge'],
    ['application/strategic-merge-patch+json', 'strategic'],
    ['application/strategic-merge-patch+json; charset=utf-8', 'strategic'],
    ['application/merge-patch+json;charset=utf-8', 'merge'],
    ['Application/Merge-Patch+JSON', undefined],
    ['application/merge-patch+json ; charset=utf-8', undefined],
    ['application/apply-patch+yaml', undefined],
    ['application/apply-patch+cbor', undefined],
    ['application/json', undefined],
    ['application/vnd.kubernetes.protobuf', undefined],
    ['', undefined],
    ['__proto__', undefined],
    [undefined, undefined],
  ];
  for (const [contentType, type] of cases) {
    it(`${JSON.stringify(contentType)} → ${type}`, () => assert.equal(patchTypeOf(contentType), type));
  }
});

describe('parsePatch', () => {
  it('parses strings and bytes', () => {
    assert.deepEqual(parsePatch('{"a":[1]}'), { a: [1] });
    assert.deepEqual(parsePatch(Buffer.from('[{"op":"remove","path":"/a"}]')), [
      { op: 'remove', path: '/a' },
    ]);
    assert.equal(parsePatch('null'), null);
  });

  for (const body of ['', '{"a":', "{'a':1}", 'spec: {}']) {
    it(`answers 400 for ${JSON.stringify(body)}`, () => {
      assertPatchError(() => parsePatch(body), {
        code: 'PATCH_INVALID',
        status: 400,
        reason: 'BadRequest',
        message: /^invalid JSON patch: /,
      });
    });
  }
});

describe('applyPatch copies', () => {
  const original = () => ({
    kind: 'Pod',
    metadata: { name: 'p', labels: { a: '1' } },
    spec: { containers: [{ name: 'c', image: 'i', env: [{ name: 'A', value: '1' }] }] },
  });
  const patches: [PatchType, unknown][] = [
    [
      'json',
      [
        { op: 'add', path: '/spec/containers/0/env/-', value: { name: 'B', value: '2' } },
        { op: 'add', path: '/metadata/labels/b', value: '2' },
      ],
    ],
    [
      'merge',
      {
        metadata: { labels: { b: '2' } },
        spec: {
          containers: [
            {
              name: 'c',
              image: 'i',
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
            },
          ],
        },
      },
    ],
    [
      'strategic',
      {
        metadata: { labels: { b: '2' } },
        spec: { containers: [{ name: 'c', env: [{ name: 'B', value: '2' }] }] },
      },
    ],
  ];
  for (const [type, patch] of patches) {
    it(`${type}: leaves original and patch alone, and the result shares nothing with either`, () => {
      const frozenOriginal = deepFreeze(original());
      const frozenPatch = deepFreeze(structuredClone(patch));
      const result = applyPatch(frozenOriginal, frozenPatch, type, POD) as ReturnType<typeof original>;
      const env =
        type === 'strategic'
          ? [
              { name: 'B', value: '2' },
              { name: 'A', value: '1' },
            ]
          : [
              { name: 'A', value: '1' },
              { name: 'B', value: '2' },
            ];
      assert.deepEqual(result, {
        kind: 'Pod',
        metadata: { name: 'p', labels: { a: '1', b: '2' } },
        spec: { containers: [{ name: 'c', image: 'i', env }] },
      });
      assert.equal(Object.isFrozen(result), false);
      assert.equal(Object.isFrozen(result.spec.containers[0]!.env[0]), false);
      assert.equal(Object.isFrozen(result.metadata.labels), false);
    });
  }
});

describe('prototype safety', () => {
  const cases: [PatchType, unknown][] = [
    [
      'merge',
      JSON.parse(
        '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"metadata":{"__proto__":{"polluted":true}}}',
      ),
    ],
    [
      'strategic',
      JSON.parse(
        '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"metadata":{"__proto__":{"polluted":true}}}',
      ),
    ],
    [
      'json',
      [
        { op: 'add', path: '/__proto__', value: { polluted: true } },
        { op: 'add', path: '/constructor', value: { prototype: { polluted: true } } },
        { op: 'add', path: '/metadata/__proto__', value: { polluted: true } },
      ],
    ],
  ];
  for (const [type, patch] of cases) {
    it(`${type}: __proto__ and constructor are ordinary members`, () => {
      const result = applyPatch({ kind: 'Pod', metadata: { name: 'p' } }, patch, type, POD) as Record<
        string,
        unknown
      >;
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      assert.equal(Object.getPrototypeOf(result), Object.prototype);
      assert.deepEqual(Object.keys(result).sort(), ['__proto__', 'constructor', 'kind', 'metadata']);
      assert.equal(
        JSON.stringify(result),
        '{"kind":"Pod","metadata":{"name":"p","__proto__":{"polluted":true}},"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
      );
    });
  }

  it('an absent __proto__ member is not mistaken for an object to merge into', () => {
    const result = applyPatch(
      { kind: 'Pod' },
      JSON.parse('{"__proto__":{"$patch":"delete"},"toString":null}'),
      'strategic',
      POD,
    );
    assert.equal(JSON.stringify(result), '{"kind":"Pod"}');
    assertPatchError(
      () => applyPatch({ kind: 'Pod' }, [{ op: 'add', path: '/__proto__/x', value: 1 }], 'json', POD),
      {
        code: 'PATCH_INVALID',
        status: 422,
        reason: 'Invalid',
        message: /the document has no "\/__proto__"/,
      },
    );
  });
});

describe('PatchError', () => {
  it('is an InputError with a literal code, a status, a reason and a hint', () => {
    try {
      applyPatch({ kind: 'Widget' }, { a: 1 }, 'strategic', CRD_KIND);
      assert.fail('no error');
    } catch (e) {
      assert.ok(e instanceof PatchError && e instanceof InputError);
      assert.equal(e.name, 'PatchError');
      assert.deepEqual([e.code, e.status, e.reason], ['PATCH_UNSUPPORTED', 415, 'UnsupportedMediaType']);
      assert.match(e.userMessage(), /: use --type merge or --type json$/);
    }
  });

  it('every built-in kind the shim stores takes a strategic patch; core and apps are keyed by group', () => {
    for (const gvk of [
      POD,
      CONFIGMAP,
      DEPLOYMENT,
      { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease' },
      { group: 'storage.k8s.io', version: 'v1', kind: 'CSINode' },
    ]) {
      assert.deepEqual(
        applyPatch({ kind: gvk.kind }, { metadata: { labels: { a: 'b' } } }, 'strategic', gvk),
        { kind: gvk.kind, metadata: { labels: { a: 'b' } } },
      );
    }
    assertPatchError(
      () =>
        applyPatch({ kind: 'Deployment' }, {}, 'strategic', { group: '', version: 'v1', kind: 'Deployment' }),
      {
        code: 'PATCH_UNSUPPORTED',
        status: 415,
        reason: 'UnsupportedMediaType',
      },
    );
  });
});
