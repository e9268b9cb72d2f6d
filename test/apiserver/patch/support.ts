// Shared helpers for the patch tests: frozen inputs (a mutation throws) and error matching.
import assert from 'node:assert/strict';
import {
  PatchError,
  type PatchErrorCode,
  type PatchStatusReason,
} from '../../../src/apiserver/patch/index.js';

export const POD = { group: '', version: 'v1', kind: 'Pod' };
export const NODE = { group: '', version: 'v1', kind: 'Node' };
export const EVENT = { group: '', version: 'v1', kind: 'Event' };
export const CONFIGMAP = { group: '', version: 'v1', kind: 'ConfigMap' };
export const SERVICE = { group: '', version: 'v1', kind: 'Service' };
export const DEPLOYMENT = { group: 'apps', version: 'v1', kind: 'Deployment' };
export const PDB = { group: 'policy', version: 'v1', kind: 'PodDisruptionBudget' };
export const CRD_KIND = { group: 'example.com', version: 'v1', kind: 'Widget' };

/** Freezes every object and array inside `value`, so any write to it throws (ESM is strict mode). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

export interface Expected {
  code: PatchErrorCode;
  status: number;
  reason: PatchStatusReason;
  message?: RegExp;
}

/** Asserts that `fn` throws a PatchError with exactly this code, status and reason. */
export function assertPatchError(fn: () => unknown, expected: Expected): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof PatchError, `expected a PatchError, got ${String(e)}`);
    assert.deepEqual(
      { code: e.code, status: e.status, reason: e.reason },
      {
        code: expected.code,
        status: expected.status,
        reason: expected.reason,
      },
    );
    if (expected.message) assert.match(e.message, expected.message);
    return true;
  });
}
