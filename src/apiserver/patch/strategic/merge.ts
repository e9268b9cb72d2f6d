/**
 * Strategic merge patch, applied the way kube-apiserver applies it (apimachinery
 * pkg/util/strategicpatch/patch.go: mergeMap, mergeSlice and their helpers, with the server's
 * options MergeParallelList and IgnoreUnmatchedNulls). Written from that code's behaviour, not
 * translated; the differences are:
 * - fields the schema does not know are merged by default instead of failing the lookup (500);
 * - patch members are processed in document order (Go's map order is random, which only matters
 *   when a patch both adds to and deletes from the same primitive list).
 * Both `original` and `patch` are the caller's private copies and are modified.
 */
import { badRequest, unclassified } from '../errors.js';
import {
  brief,
  deleteKey,
  getKey,
  hasKey,
  isObject,
  jsonType,
  setKey,
  type Json,
  type JsonObject,
} from '../json-value.js';
import {
  elementKind,
  liveOrderAfterMerge,
  normalizeOrder,
  partition,
  requireMergeKey,
  validateSetOrder,
} from './order.js';
import { fieldAt, type Fields } from './schema.js';

const PATCH = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ELEMENT_ORDER = '$setElementOrder';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList';

/** Merges `patch` into the map at `path` ('' for the root) of a `fields`-described object. */
export function mergeMap(original: JsonObject, patch: JsonObject, fields: Fields, path: string): JsonObject {
  if (hasKey(patch, PATCH)) {
    const directive = patch[PATCH];
    if (directive === 'replace') {
      deleteKey(patch, PATCH);
      return patch;
    }
    // "delete" on a map leaves an empty map, not an absent field.
    if (directive === 'delete') return {};
    throw unclassified(`${at(path)}unknown patch type: ${brief(directive)} in map: ${brief(patch)}`);
  }
  retainKeys(original, patch, path);
  applySetElementOrder(original, patch, fields, path);

  for (const patchKey of Object.keys(patch)) {
    const patchValue = patch[patchKey]!;
    const deleteList = patchKey.startsWith(DELETE_FROM_PRIMITIVE_LIST);
    const key = deleteList ? directiveField(patchKey, DELETE_FROM_PRIMITIVE_LIST, path) : patchKey;
    const childPath = path === '' ? key : `${path}.${key}`;

    if (patchValue === null) {
      deleteKey(original, key);
      continue;
    }
    const current = getKey(original, key);
    if (current === undefined || jsonType(current) !== jsonType(patchValue)) {
      // A new value (or one of another type) is taken from the patch, minus nulls and directives;
      // a `$deleteFromPrimitiveList` for a list that is not there changes nothing.
      if (!deleteList) putValue(original, key, removeDirectives(discardNulls(patchValue)));
      continue;
    }
    const field = fieldAt(fields, childPath);
    if (isObject(current)) {
      // A `replace` map (PodDisruptionBudget spec.selector) is taken from the patch as it is.
      const merged =
        field?.strategy === 'replace'
          ? patchValue
          : mergeMap(current, patchValue as JsonObject, fields, childPath);
      setKey(original, key, merged);
    } else if (Array.isArray(current)) {
      const merged =
        field?.strategy === 'merge' || deleteList
          ? mergeList(current, patchValue as Json[], fields, childPath, field?.mergeKey ?? '', deleteList)
          : patchValue;
      setKey(original, key, merged);
    } else {
      setKey(original, key, patchValue);
    }
  }
  return original;
}

/** Merges two lists of a `merge` field (strategicpatch mergeSlice). */
function mergeList(
  original: Json[],
  patch: Json[],
  fields: Fields,
  path: string,
  mergeKey: string,
  deleteList: boolean,
): Json[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = elementKind(original, patch);
  let merged: Json[];
  if (kind !== 'object') {
    if (deleteList) return original.filter((v) => !patch.includes(v));
    merged = [...new Set([...original, ...patch])];
  } else {
    if (mergeKey === '') throw unclassified(`${path}: cannot merge lists without merge key`);
    [original, patch] = applyListDirectives(original, patch, mergeKey, path);
    merged = mergeByKey(original, patch, fields, path, mergeKey);
  }
  const [patchItems, serverOnly] = partition(merged, patch, mergeKey, path);
  return normalizeOrder(patchItems, serverOnly, patch, original, mergeKey, path);
}

/**
 * Handles the `$patch` items of a list of maps: `delete` drops the items with that merge key from
 * the original, `replace` makes the other patch items the whole list. Returns [original, patch].
 */
function applyListDirectives(
  original: Json[],
  patch: Json[],
  mergeKey: string,
  path: string,
): [Json[], Json[]] {
  const plain: Json[] = [];
  let replace = false;
  for (const item of patch as JsonObject[]) {
    if (!hasKey(item, PATCH)) {
      plain.push(item);
      continue;
    }
    const directive = item[PATCH];
    if (directive === 'delete') {
      requireMergeKey([item], mergeKey, path);
      original = original.filter(
        (o) => !(hasKey(o as JsonObject, mergeKey) && (o as JsonObject)[mergeKey] === item[mergeKey]),
      );
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw unclassified(`${path}: merging lists cannot yet be specified in the patch`);
    } else {
      throw unclassified(`${path}: unknown patch type: ${brief(directive)} in map: ${brief(item)}`);
    }
  }
  return replace ? [plain, []] : [original, plain];
}

/** Each patch item merges into the first original item with its merge key, or is appended. */
function mergeByKey(original: Json[], patch: Json[], fields: Fields, path: string, mergeKey: string): Json[] {
  const out = [...original];
  for (const item of requireMergeKey(patch, mergeKey, path)) {
    const i = out.findIndex((o) => isObject(o) && hasKey(o, mergeKey) && o[mergeKey] === item[mergeKey]);
    if (i < 0) out.push(item);
    else out[i] = mergeMap(out[i] as JsonObject, item, fields, path);
  }
  return out;
}

/**
 * `$retainKeys: [...]`: after the merge only the listed members remain. Every member the patch sets
 * must be listed (400 otherwise), so a patch cannot contradict its own list.
 */
function retainKeys(original: JsonObject, patch: JsonObject, path: string): void {
  if (!hasKey(patch, RETAIN_KEYS)) return;
  const list = patch[RETAIN_KEYS];
  deleteKey(patch, RETAIN_KEYS);
  const hint = 'list every field the patch sets in $retainKeys';
  if (!Array.isArray(list))
    throw badRequest(`${at(path)}invalid patch format of retainKeys: not a list`, hint);
  const keep = new Set<Json>(list);
  for (const key of Object.keys(patch)) {
    if (
      patch[key] === null ||
      key.startsWith(DELETE_FROM_PRIMITIVE_LIST) ||
      key.startsWith(SET_ELEMENT_ORDER)
    )
      continue;
    if (!keep.has(key))
      throw badRequest(`${at(path)}invalid patch format of retainKeys: "${key}" is not listed`, hint);
  }
  for (const key of Object.keys(original)) if (!keep.has(key)) deleteKey(original, key);
}

/**
 * `$setElementOrder/<field>: [...]` merges `<field>` (if the patch has it) and then orders the list:
 * the named items as the directive says, the server-only items kept near their old neighbours.
 * The processed list leaves the patch so the main loop does not merge it again.
 */
function applySetElementOrder(original: JsonObject, patch: JsonObject, fields: Fields, path: string): void {
  for (const patchKey of Object.keys(patch)) {
    if (!patchKey.startsWith(SET_ELEMENT_ORDER)) continue;
    const order = patch[patchKey]!;
    deleteKey(patch, patchKey);
    if (!Array.isArray(order))
      throw unclassified(`${at(path)}${patchKey}: expected a list, got ${brief(order)}`);
    const key = directiveField(patchKey, SET_ELEMENT_ORDER, path);
    const childPath = path === '' ? key : `${path}.${key}`;
    const inOriginal = hasKey(original, key);
    const inPatch = hasKey(patch, key);
    const originalList = getKey(original, key);
    const patchList = getKey(patch, key);
    for (const [v, found] of [
      [originalList, inOriginal],
      [patchList, inPatch],
    ] as const) {
      if (found && !Array.isArray(v)) throw unclassified(`${childPath}: expected a list, got ${brief(v)}`);
    }
    const field = fieldAt(fields, childPath);
    const mergeKey = field?.mergeKey ?? '';
    validateSetOrder((patchList ?? []) as Json[], order, mergeKey, childPath);

    let merged: Json[];
    if (inOriginal && inPatch) {
      merged =
        field?.strategy === 'merge'
          ? mergeList(originalList as Json[], patchList as Json[], fields, childPath, mergeKey, false)
          : (patchList as Json[]);
    } else if (inPatch) {
      merged = removeDirectives(patchList!) as Json[];
    } else if (inOriginal) {
      merged = originalList as Json[];
    } else {
      continue;
    }
    const kind = elementKind((originalList ?? []) as Json[], (patchList ?? []) as Json[]);
    // After `$patch: delete` items, the live order kube-apiserver uses is not the original list.
    const liveOrder =
      kind === 'object' && mergeKey !== '' && inOriginal && inPatch && field?.strategy === 'merge'
        ? liveOrderAfterMerge(originalList as Json[], patchList as Json[], mergeKey)
        : ((originalList ?? []) as Json[]);
    if (kind !== undefined) {
      const [named, serverOnly] = partition(merged, order, mergeKey, childPath);
      merged = normalizeOrder(named, serverOnly, order, liveOrder, mergeKey, childPath);
    }
    setKey(original, key, merged);
    deleteKey(patch, key);
  }
}

/** `<prefix>/<field>` → `<field>`; anything else after the prefix is a malformed directive (400). */
function directiveField(patchKey: string, prefix: string, path: string): string {
  const slash = patchKey.indexOf('/');
  if (slash < 0 || patchKey.slice(0, slash) !== prefix) {
    const what = prefix === SET_ELEMENT_ORDER ? 'setElementOrder list' : 'primitive list';
    throw badRequest(
      `${at(path)}invalid patch format of ${what}: "${patchKey}"`,
      `write "${prefix}/<field>"`,
    );
  }
  return patchKey.slice(slash + 1);
}

/** Drops maps that carry `$patch` (and the members and items holding them): they have nothing to act on. */
function removeDirectives(value: Json): Json | undefined {
  if (Array.isArray(value)) return value.map(removeDirectives).filter((v): v is Json => v !== undefined);
  if (!isObject(value)) return value;
  if (hasKey(value, PATCH)) return undefined;
  for (const key of Object.keys(value)) putValue(value, key, removeDirectives(value[key]!));
  return value;
}

/** Null members of maps inside a new value are dropped: there is nothing for them to delete. */
function discardNulls(value: Json): Json {
  if (Array.isArray(value)) value.forEach(discardNulls);
  else if (isObject(value)) {
    for (const key of Object.keys(value)) {
      if (value[key] === null) deleteKey(value, key);
      else discardNulls(value[key]!);
    }
  }
  return value;
}

function putValue(obj: JsonObject, key: string, value: Json | undefined): void {
  if (value === undefined) deleteKey(obj, key);
  else setKey(obj, key, value);
}

function at(path: string): string {
  return path === '' ? '' : `${path}: `;
}
