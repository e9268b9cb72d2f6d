// JSON merge patch: RFC 7386 Appendix A as data against the RFC algorithm, then the rules
// kube-apiserver adds because the target is a resource object.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyPatch, type Json } from '../../../src/apiserver/patch/index.js';
import { mergePatch } from '../../../src/apiserver/patch/merge-patch.js';
import { assertPatchError, CRD_KIND, deepFreeze, DEPLOYMENT } from './support.js';

// [original, patch, result] — every row of RFC 7386 Appendix A.
// prettier-ignore
const RFC_7386_APPENDIX_A: [Json, Json, Json][] = [
  [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
  [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
  [{ a: 'b' }, { a: null }, {}],
  [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
  [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
  [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
  [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
  [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
  [['a', 'b'], ['c', 'd'], ['c', 'd']],
  [{ a: 'b' }, ['c'], ['c']],
  [{ a: 'foo' }, null, null],
  [{ a: 'foo' }, 'bar', 'bar'],
  [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  [[1, 2], { a: 'b', c: null }, { a: 'b' }],
  [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
];

describe('merge patch: RFC 7386 Appendix A', () => {
  RFC_7386_APPENDIX_A.forEach(([original, patch, result], i) => {
    it(`row ${i + 1}: ${JSON.stringify(original)} + ${JSON.stringify(patch)}`, () => {
      const frozen = deepFreeze(patch);
      assert.deepEqual(mergePatch(structuredClone(original), frozen), result);
    });
  });
});

describe('merge patch of a resource', () => {
  const deployment = () => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web', tier: 'front' } },
    spec: {
      replicas: 2,
      template: {
        spec: {
          containers: [
            { name: 'a', image: 'a:1', ports: [{ containerPort: 80 }] },
            { name: 'sidecar', image: 'proxy:1' },
          ],
        },
      },
    },
  });

  it('replaces lists whole and removes null members (unlike strategic merge)', () => {
    const patch = {
      metadata: { labels: { tier: null, env: 'prod' } },
      spec: { template: { spec: { containers: [{ name: 'a', image: 'b' }] } } },
    };
    assert.deepEqual(applyPatch(deepFreeze(deployment()), deepFreeze(patch), 'merge', DEPLOYMENT), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default', labels: { app: 'web', env: 'prod' } },
      spec: { replicas: 2, template: { spec: { containers: [{ name: 'a', image: 'b' }] } } },
    });
  });

  it('works for custom resources, which have no strategic schema', () => {
    const widget = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w' },
      spec: { size: 1, tags: ['x'] },
    };
    assert.deepEqual(
      applyPatch(
        deepFreeze(widget),
        { spec: { size: 2, tags: ['y'] }, status: { ok: true } },
        'merge',
        CRD_KIND,
      ),
      {
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'w' },
        spec: { size: 2, tags: ['y'] },
        status: { ok: true },
      },
    );
  });

  it('an empty object changes nothing', () => {
    assert.deepEqual(applyPatch(deepFreeze(deployment()), {}, 'merge', DEPLOYMENT), deployment());
  });

  // RFC rows 10–12 replace the document; a resource must stay an object. evanphx/json-patch
  // answers "Invalid JSON Patch" (400) for null and scalars; an array becomes the document and
  // fails to decode (422).
  const refusals: [string, unknown, number, 'BadRequest' | 'Invalid'][] = [
    ['null', null, 400, 'BadRequest'],
    ['a string', 'bar', 400, 'BadRequest'],
    ['a number', 1, 400, 'BadRequest'],
    ['a boolean', true, 400, 'BadRequest'],
    ['an array', ['c'], 422, 'Invalid'],
  ];
  for (const [name, patch, status, reason] of refusals) {
    it(`refuses ${name}`, () => {
      assertPatchError(() => applyPatch(deployment(), patch, 'merge', DEPLOYMENT), {
        code: 'PATCH_INVALID',
        status,
        reason,
      });
    });
  }
});
