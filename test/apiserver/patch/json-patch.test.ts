// JSON patch (RFC 6902): the RFC's Appendix A examples as data, then what kube-apiserver does
// beyond the RFC (evanphx/json-patch v4), then the errors and their statuses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyPatch, parsePatch, type Json } from '../../../src/apiserver/patch/index.js';
import { assertPatchError, CONFIGMAP, deepFreeze } from './support.js';

const apply = (doc: object, patch: unknown) =>
  applyPatch(deepFreeze(doc), deepFreeze(patch), 'json', CONFIGMAP);

interface RfcCase {
  section: string;
  doc: Json;
  patch: string;
  /** The resulting document, or the error code when the RFC says the patch fails. */
  result: Json | 'PATCH_INVALID' | 'PATCH_TEST_FAILED';
}

// RFC 6902 Appendix A. Patches stay text so A.13's duplicate member reaches JSON.parse as written.
// prettier-ignore
const RFC_6902_APPENDIX_A: RfcCase[] = [
  { section: 'A.1 adding an object member', doc: { foo: 'bar' }, patch: '[{ "op": "add", "path": "/baz", "value": "qux" }]', result: { baz: 'qux', foo: 'bar' } },
  { section: 'A.2 adding an array element', doc: { foo: ['bar', 'baz'] }, patch: '[{ "op": "add", "path": "/foo/1", "value": "qux" }]', result: { foo: ['bar', 'qux', 'baz'] } },
  { section: 'A.3 removing an object member', doc: { baz: 'qux', foo: 'bar' }, patch: '[{ "op": "remove", "path": "/baz" }]', result: { foo: 'bar' } },
  { section: 'A.4 removing an array element', doc: { foo: ['bar', 'qux', 'baz'] }, patch: '[{ "op": "remove", "path": "/foo/1" }]', result: { foo: ['bar', 'baz'] } },
  { section: 'A.5 replacing a value', doc: { baz: 'qux', foo: 'bar' }, patch: '[{ "op": "replace", "path": "/baz", "value": "boo" }]', result: { baz: 'boo', foo: 'bar' } },
  {
    section: 'A.6 moving a value',
    doc: { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
    patch: '[{ "op": "move", "from": "/foo/waldo", "path": "/qux/thud" }]',
    result: { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
  },
  { section: 'A.7 moving an array element', doc: { foo: ['all', 'grass', 'cows', 'eat'] }, patch: '[{ "op": "move", "from": "/foo/1", "path": "/foo/3" }]', result: { foo: ['all', 'cows', 'eat', 'grass'] } },
  {
    section: 'A.8 testing a value: success',
    doc: { baz: 'qux', foo: ['a', 2, 'c'] },
    patch: '[{ "op": "test", "path": "/baz", "value": "qux" }, { "op": "test", "path": "/foo/1", "value": 2 }]',
    result: { baz: 'qux', foo: ['a', 2, 'c'] },
  },
  { section: 'A.9 testing a value: error', doc: { baz: 'qux' }, patch: '[{ "op": "test", "path": "/baz", "value": "bar" }]', result: 'PATCH_TEST_FAILED' },
  { section: 'A.10 adding a nested member object', doc: { foo: 'bar' }, patch: '[{ "op": "add", "path": "/child", "value": { "grandchild": { } } }]', result: { foo: 'bar', child: { grandchild: {} } } },
  { section: 'A.11 ignoring unrecognized elements', doc: { foo: 'bar' }, patch: '[{ "op": "add", "path": "/baz", "value": "qux", "xyz": 123 }]', result: { foo: 'bar', baz: 'qux' } },
  { section: 'A.12 adding to a nonexistent target', doc: { foo: 'bar' }, patch: '[{ "op": "add", "path": "/baz/bat", "value": "qux" }]', result: 'PATCH_INVALID' },
  // JSON.parse keeps the last "op" (remove), as Go's decoder does; removing the absent /baz fails.
  { section: 'A.13 invalid JSON patch document', doc: { foo: 'bar' }, patch: '[{ "op": "add", "path": "/baz", "value": "qux", "op": "remove" }]', result: 'PATCH_INVALID' },
  { section: 'A.14 ~ escape ordering', doc: { '/': 9, '~1': 10 }, patch: '[{ "op": "test", "path": "/~01", "value": 10 }]', result: { '/': 9, '~1': 10 } },
  { section: 'A.15 comparing strings and numbers', doc: { '/': 9, '~1': 10 }, patch: '[{ "op": "test", "path": "/~01", "value": "10" }]', result: 'PATCH_TEST_FAILED' },
  { section: 'A.16 adding an array value', doc: { foo: ['bar'] }, patch: '[{ "op": "add", "path": "/foo/-", "value": ["abc", "def"] }]', result: { foo: ['bar', ['abc', 'def']] } },
];

describe('JSON patch: RFC 6902 Appendix A', () => {
  for (const c of RFC_6902_APPENDIX_A) {
    it(c.section, () => {
      const patch = parsePatch(c.patch);
      if (c.result === 'PATCH_INVALID' || c.result === 'PATCH_TEST_FAILED') {
        assertPatchError(() => apply(c.doc as object, patch), {
          code: c.result,
          status: 422,
          reason: 'Invalid',
        });
      } else {
        assert.deepEqual(apply(c.doc as object, patch), c.result);
      }
    });
  }
});

describe('JSON patch: what kube-apiserver accepts beyond the RFC', () => {
  const cases: { name: string; doc: object; patch: unknown; result: object }[] = [
    { name: 'a null body is a patch with no operations', doc: { a: 1 }, patch: null, result: { a: 1 } },
    {
      name: 'a negative index counts from the end',
      doc: { f: ['a', 'b', 'c'] },
      patch: [{ op: 'remove', path: '/f/-1' }],
      result: { f: ['a', 'b'] },
    },
    {
      name: 'add at -1 appends',
      doc: { f: ['a'] },
      patch: [{ op: 'add', path: '/f/-1', value: 'z' }],
      result: { f: ['a', 'z'] },
    },
    {
      name: 'add at the length appends',
      doc: { f: ['a'] },
      patch: [{ op: 'add', path: '/f/1', value: 'z' }],
      result: { f: ['a', 'z'] },
    },
    {
      name: 'replace of a missing member adds it',
      doc: { m: { a: '1' } },
      patch: [{ op: 'replace', path: '/m/b', value: '2' }],
      result: { m: { a: '1', b: '2' } },
    },
    {
      name: 'test null passes on a missing member',
      doc: { m: {} },
      patch: [{ op: 'test', path: '/m/x', value: null }],
      result: { m: {} },
    },
    {
      name: 'replace the whole document',
      doc: { a: 1 },
      patch: [{ op: 'replace', path: '', value: { b: 2 } }],
      result: { b: 2 },
    },
    {
      name: 'copy makes an independent copy',
      doc: { a: { x: [1] } },
      patch: [
        { op: 'copy', from: '/a', path: '/b' },
        { op: 'add', path: '/b/x/-', value: 2 },
      ],
      result: { a: { x: [1] }, b: { x: [1, 2] } },
    },
    {
      name: 'escaped annotation keys',
      doc: { metadata: { annotations: {} } },
      patch: [{ op: 'add', path: '/metadata/annotations/example.com~1owner~0team', value: 'x' }],
      result: { metadata: { annotations: { 'example.com/owner~team': 'x' } } },
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(apply(c.doc, c.patch), c.result));
});

describe('JSON patch: errors', () => {
  const doc = { metadata: { name: 'c', labels: { a: '1' } }, data: { k: 'v' }, list: ['x', 'y'] };
  const invalid = (message: RegExp) => ({
    code: 'PATCH_INVALID' as const,
    status: 422,
    reason: 'Invalid' as const,
    message,
  });
  const cases: { name: string; patch: unknown; expected: Parameters<typeof assertPatchError>[1] }[] = [
    {
      name: 'unknown op',
      patch: [
        { op: 'add', path: '/data/x', value: 1 },
        { op: 'frob', path: '/data' },
      ],
      expected: invalid(/^JSON patch operation 1 \(frob \/data\): unknown op "frob"/),
    },
    {
      name: 'missing op',
      patch: [{ path: '/data' }],
      expected: invalid(/operation 0 .*unknown op undefined/),
    },
    {
      name: 'path without a leading slash',
      patch: [{ op: 'remove', path: 'data/k' }],
      expected: invalid(/operation 0 \(remove data\/k\): path "data\/k" does not start with "\/"/),
    },
    {
      name: 'bad ~ escape',
      patch: [{ op: 'remove', path: '/data/~2' }],
      expected: invalid(/has a "~" not followed by 0 or 1/),
    },
    {
      name: 'missing parent',
      patch: [{ op: 'add', path: '/spec/replicas', value: 1 }],
      expected: invalid(/\(add \/spec\/replicas\): the document has no "\/spec"/),
    },
    {
      name: 'index out of bounds',
      patch: [{ op: 'replace', path: '/list/2', value: 'z' }],
      expected: invalid(/index 2 is out of bounds \(the array has 2 elements\)/),
    },
    {
      name: 'add past the end',
      patch: [{ op: 'add', path: '/list/3', value: 'z' }],
      expected: invalid(/index 3 is out of bounds/),
    },
    {
      name: '"-" outside add',
      patch: [{ op: 'remove', path: '/list/-' }],
      expected: invalid(/"-" is not an array index/),
    },
    {
      name: 'remove of a missing member',
      patch: [{ op: 'remove', path: '/data/nope' }],
      expected: invalid(/cannot remove "\/data\/nope": it does not exist/),
    },
    {
      name: 'add without value',
      patch: [{ op: 'add', path: '/data/x' }],
      expected: invalid(/"value" is missing/),
    },
    {
      name: 'move without from',
      patch: [{ op: 'move', path: '/data/x' }],
      expected: invalid(/"from" must be a string/),
    },
    {
      name: 'copy from a missing member',
      patch: [{ op: 'copy', from: '/data/nope', path: '/data/x' }],
      expected: invalid(/"\/data\/nope" does not exist/),
    },
    {
      name: 'move into its own child',
      patch: [{ op: 'move', from: '/data', path: '/data/inner' }],
      expected: invalid(/cannot move "\/data" into itself/),
    },
    {
      name: 'traverse a scalar',
      patch: [{ op: 'add', path: '/data/k/x', value: 1 }],
      expected: invalid(/"\/data\/k" is not an object or array/),
    },
    {
      name: 'remove the whole document',
      patch: [{ op: 'remove', path: '' }],
      expected: invalid(/cannot remove the whole document/),
    },
    {
      name: 'replace the document with an array',
      patch: [{ op: 'replace', path: '', value: [1] }],
      expected: invalid(/the patched document is not a JSON object/),
    },
    {
      name: 'test failure names the path but not the value',
      patch: [{ op: 'test', path: '/data/k', value: 'w' }],
      expected: {
        code: 'PATCH_TEST_FAILED',
        status: 422,
        reason: 'Invalid',
        message: /^JSON patch operation 0 \(test \/data\/k\): testing "\/data\/k" failed: the value differs$/,
      },
    },
    {
      name: 'test of a missing member',
      patch: [{ op: 'test', path: '/data/nope', value: 'v' }],
      expected: { code: 'PATCH_TEST_FAILED', status: 422, reason: 'Invalid', message: /does not exist/ },
    },
    {
      name: 'body is an object',
      patch: { op: 'add', path: '/x', value: 1 },
      expected: {
        code: 'PATCH_INVALID',
        status: 400,
        reason: 'BadRequest',
        message: /must be an array, not object/,
      },
    },
    {
      name: 'operation is a string',
      patch: ['add'],
      expected: {
        code: 'PATCH_INVALID',
        status: 400,
        reason: 'BadRequest',
        message: /operation 0 must be an object, not string/,
      },
    },
    {
      name: 'more than 10000 operations',
      patch: Array.from({ length: 10001 }, () => ({ op: 'test', path: '/data/k', value: 'v' })),
      expected: {
        code: 'PATCH_INVALID',
        status: 413,
        reason: 'RequestEntityTooLarge',
        message: /maximum operations in a JSON patch is 10000, got 10001/,
      },
    },
  ];
  for (const c of cases) it(c.name, () => assertPatchError(() => apply(doc, c.patch), c.expected));

  it('applies nothing when a later operation fails', () => {
    const original = { data: { k: 'v' } };
    assertPatchError(
      () =>
        apply(original, [
          { op: 'remove', path: '/data/k' },
          { op: 'remove', path: '/nope' },
        ]),
      invalid(/operation 1/),
    );
    assert.deepEqual(original, { data: { k: 'v' } });
  });
});
