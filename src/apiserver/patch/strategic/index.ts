/** Strategic merge patch of a built-in kind: the schema lookup, the merge, and the Go decode after it. */
import { badRequest, unsupported } from '../errors.js';
import { deepCopy, deleteKey, isObject, jsonType, type Json, type JsonObject } from '../json-value.js';
import { mergeMap } from './merge.js';
import { schemaFor } from './schema.js';

export { schemaFor, type Fields, type FieldStrategy } from './schema.js';

/**
 * Applies a strategic merge patch to `doc` (the caller's copy; it is modified). Kinds without a
 * schema are refused with 415, as kube-apiserver refuses strategic merge patches for custom
 * resources (apiextensions-apiserver customresource_handler.go offers json, merge and apply only).
 */
export function applyStrategicPatch(
  doc: JsonObject,
  patch: unknown,
  gvk: { group: string; version: string; kind: string },
): Json {
  const fields = schemaFor(gvk);
  if (fields === undefined) {
    const name = `${gvk.group === '' ? '' : gvk.group + '/'}${gvk.version}, Kind=${gvk.kind}`;
    throw unsupported(
      `strategic merge patch is not supported for ${name}: the body of the request was in an unknown format - ` +
        'accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
      'use --type merge or --type json',
    );
  }
  // kube-apiserver unmarshals the body into a Go map: `null` leaves it empty, anything else but an
  // object is a decode error.
  if (patch === null) return doc;
  if (!isObject(patch)) {
    throw badRequest(
      `json: cannot unmarshal ${jsonType(patch as Json)} into Go value of type map[string]interface {}`,
    );
  }
  return decodedAsGo(mergeMap(doc, deepCopy(patch) as JsonObject, fields, ''));
}

/**
 * kube-apiserver decodes the merged map into the Go type before storing it: a null member becomes
 * the zero value and is omitted, and members the type lacks are dropped. This shim stores JSON, so it
 * does the part of that which a patch can cause: nulls left by a `$patch: replace` map or a newly
 * appended list item, and directive members nested in new values (`$retainKeys`, `$patch`, …).
 */
function decodedAsGo(value: Json): Json {
  if (Array.isArray(value)) value.forEach(decodedAsGo);
  else if (isObject(value)) {
    for (const key of Object.keys(value)) {
      if (value[key] === null || isDirective(key)) deleteKey(value, key);
      else decodedAsGo(value[key]!);
    }
  }
  return value;
}

function isDirective(key: string): boolean {
  return (
    key === '$patch' ||
    key === '$retainKeys' ||
    key.startsWith('$setElementOrder') ||
    key.startsWith('$deleteFromPrimitiveList')
  );
}
