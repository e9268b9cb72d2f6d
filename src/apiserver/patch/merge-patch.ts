/**
 * JSON merge patch (RFC 7386, now RFC 7396), and the checks kube-apiserver adds because the target
 * is always a resource object.
 */
import { badRequest, invalid } from './errors.js';
import { deepCopy, deleteKey, getKey, isObject, jsonType, setKey, type Json } from './json-value.js';

/**
 * RFC 7396 §2 MergePatch(target, patch), for any JSON values: objects merge member by member, a
 * `null` member removes, anything else (arrays included) replaces. `target` may be modified; nothing
 * of `patch` is shared with the result.
 */
export function mergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return deepCopy(patch);
  const out = isObject(target) ? target : {};
  for (const key of Object.keys(patch)) {
    const value = patch[key]!;
    if (value === null) deleteKey(out, key);
    else setKey(out, key, mergePatch(getKey(out, key), value));
  }
  return out;
}

/**
 * A merge patch to a resource, answered as kube-apiserver answers it: evanphx/json-patch's
 * MergePatch refuses `null` and scalar patches (400 "Invalid JSON Patch"); an array patch replaces
 * the document, which then fails to decode as an object (422). `doc` has been copied by the caller.
 */
export function applyMergePatch(doc: Json, patch: unknown): Json {
  const type = jsonType(patch as Json);
  if (type === 'array') {
    throw invalid(
      'a merge patch that is an array would replace the object with an array',
      'send a JSON object',
    );
  }
  if (type !== 'object') throw badRequest(`Invalid JSON Patch: a merge patch must be an object, not ${type}`);
  return mergePatch(doc, patch as Json);
}
