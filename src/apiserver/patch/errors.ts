/**
 * The patch error. Its `status` and `reason` are what kube-apiserver answers for the same patch
 * (k8s.io/apiserver pkg/endpoints/handlers/patch.go, read at master, July 2026), so the handler
 * layer turns a PatchError into a Status without a table of its own:
 *
 * | situation                                                   | status | reason                | code              |
 * |-------------------------------------------------------------|--------|-----------------------|-------------------|
 * | body is not JSON (`validateAndTranscodePatch`)              | 400    | BadRequest            | PATCH_INVALID     |
 * | JSON patch body not an array of objects (`DecodePatch`)     | 400    | BadRequest            | PATCH_INVALID     |
 * | JSON patch with more than 10000 operations                  | 413    | RequestEntityTooLarge | PATCH_INVALID     |
 * | JSON patch operation fails (bad op, path, index)            | 422    | Invalid               | PATCH_INVALID     |
 * | JSON patch `test` fails                                     | 422    | Invalid               | PATCH_TEST_FAILED |
 * | merge patch `null`, a string, number or boolean             | 400    | BadRequest            | PATCH_INVALID     |
 * | merge patch an array, or any result that is not an object   | 422    | Invalid               | PATCH_INVALID     |
 * | strategic patch not an object; malformed `$retainKeys`,     | 400    | BadRequest            | PATCH_INVALID     |
 * |   `$setElementOrder/…`, `$deleteFromPrimitiveList/…` keys   |        |                       |                   |
 * | strategic patch with a list of lists                        | 422    | Invalid               | PATCH_INVALID     |
 * | any other strategic patch error (missing merge key, bad     | 500    | '' (Unknown)          | PATCH_INVALID     |
 * |   `$patch` value, `$setElementOrder` mismatch, mixed lists)  |        |                       |                   |
 * | strategic patch for a kind without Go types (CRDs)          | 415    | UnsupportedMediaType  | PATCH_UNSUPPORTED |
 *
 * The 500s are faithful, not a bug here: `interpretStrategicMergePatchError` classifies only a few
 * mergepatch errors, the rest are plain Go errors that `ErrorToAPIStatus` turns into 500 with an
 * empty reason (kubectl shows "Error from server: map: … does not contain declared merge key: name").
 * For 422 from JSON patch, kube-apiserver's Status message is the generic "the server rejected our
 * request due to an error in our request" (`NewGenericServerResponse` drops the detail); this
 * error's message keeps the detail, and the handler may choose which to send.
 */
import { InputError, type BootkubeErrorOptions } from '../../errors.js';

export type PatchErrorCode = 'PATCH_INVALID' | 'PATCH_TEST_FAILED' | 'PATCH_UNSUPPORTED';

/** metav1.StatusReason of the matching kube-apiserver answer; '' is StatusReasonUnknown. */
export type PatchStatusReason =
  'BadRequest' | 'Invalid' | 'UnsupportedMediaType' | 'RequestEntityTooLarge' | '';

export class PatchError extends InputError {
  readonly code: PatchErrorCode;
  /** The HTTP status kube-apiserver answers with for this patch. */
  readonly status: number;
  readonly reason: PatchStatusReason;

  constructor(
    code: PatchErrorCode,
    status: number,
    reason: PatchStatusReason,
    message: string,
    options?: BootkubeErrorOptions,
  ) {
    super(message, options);
    this.code = code;
    this.status = status;
    this.reason = reason;
  }
}

export function badRequest(message: string, hint?: string): PatchError {
  return new PatchError('PATCH_INVALID', 400, 'BadRequest', message, { hint });
}

export function invalid(message: string, hint?: string): PatchError {
  return new PatchError('PATCH_INVALID', 422, 'Invalid', message, { hint });
}

export function testFailed(message: string): PatchError {
  return new PatchError('PATCH_TEST_FAILED', 422, 'Invalid', message, {
    hint: 'the object changed since the patch was written; read it again',
  });
}

export function tooLarge(message: string): PatchError {
  return new PatchError('PATCH_INVALID', 413, 'RequestEntityTooLarge', message);
}

/** A strategic merge patch error kube-apiserver does not classify: it answers 500 (see the table). */
export function unclassified(message: string, hint?: string): PatchError {
  return new PatchError('PATCH_INVALID', 500, '', message, { hint });
}

export function unsupported(message: string, hint?: string): PatchError {
  return new PatchError('PATCH_UNSUPPORTED', 415, 'UnsupportedMediaType', message, { hint });
}
