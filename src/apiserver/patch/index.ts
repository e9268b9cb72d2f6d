/**
 * PATCH bodies: JSON patch (RFC 6902), JSON merge patch (RFC 7386) and strategic merge patch, with
 * the semantics and error statuses of kube-apiserver. The handler layer reads the body with
 * parsePatch, picks the type with patchTypeOf and calls applyPatch; a PatchError carries the
 * status to answer with (see errors.ts for the table).
 */
import { applyJsonPatch } from './json-patch.js';
import { badRequest, invalid } from './errors.js';
import { deepCopy, isObject, type JsonObject } from './json-value.js';
import { applyMergePatch } from './merge-patch.js';
import { applyStrategicPatch } from './strategic/index.js';

export { PatchError, type PatchErrorCode, type PatchStatusReason } from './errors.js';
export { MAX_JSON_PATCH_OPERATIONS } from './json-patch.js';
export type { Json, JsonObject } from './json-value.js';

export type PatchType = 'json' | 'merge' | 'strategic';

const MEDIA_TYPES: Readonly<Record<string, PatchType>> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
};

/**
 * Content-Type → PatchType; undefined for anything else (the caller answers 415). Like
 * kube-apiserver (handlers/patch.go), parameters after ";" are cut off and the rest must match
 * exactly: no case folding or trimming, so a client that works here works there.
 * `application/apply-patch+yaml` (server-side apply) is not supported and gives undefined.
 */
export function patchTypeOf(contentType: string | undefined): PatchType | undefined {
  if (contentType === undefined) return undefined;
  const semicolon = contentType.indexOf(';');
  const mediaType = semicolon > 0 ? contentType.slice(0, semicolon) : contentType;
  return Object.prototype.hasOwnProperty.call(MEDIA_TYPES, mediaType) ? MEDIA_TYPES[mediaType] : undefined;
}

/** The body of a PATCH request as JSON; anything that is not JSON is 400 "invalid JSON patch". */
export function parsePatch(body: string | Uint8Array): unknown {
  const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw badRequest(`invalid JSON patch: ${(e as Error).message}`, 'send the patch as JSON');
  }
}

/**
 * Applies `patch` (already JSON-parsed) to a deep copy of `original`; never mutates `original` or
 * `patch`. `gvk` picks the strategic-merge schema. Throws PatchError.
 */
export function applyPatch(
  original: object,
  patch: unknown,
  type: PatchType,
  gvk: { group: string; version: string; kind: string },
): object {
  const doc = deepCopy(original);
  if (!isObject(doc)) throw new TypeError('applyPatch: the original must be a JSON object');
  let result: unknown;
  switch (type) {
    case 'json':
      result = applyJsonPatch(doc, patch);
      break;
    case 'merge':
      result = applyMergePatch(doc, patch);
      break;
    case 'strategic':
      result = applyStrategicPatch(doc, patch, gvk);
      break;
  }
  // kube-apiserver decodes the result into the resource's type: anything but an object fails there.
  if (!isObject(result))
    throw invalid('the patched document is not a JSON object', 'a resource must stay an object');
  return result as JsonObject;
}
