/**
 * The order of a merged list, as strategicpatch decides it (patch.go: normalizeElementOrder,
 * mergeSortedSlice, partition*ByPresentInList, validatePatchWithSetOrderList).
 *
 * Items are split into those the patch (or its `$setElementOrder` list) names and the server-only
 * rest. Each part is sorted by its own reference order, then the two are interleaved: a server-only
 * item goes first only when both it and the next patch item are in the live list and it came first
 * there. So a changed item keeps its place, and an item new to the list lands *before* the
 * server-only items that follow it — with no `$setElementOrder`, a new container or finalizer is
 * prepended. That is what kube-apiserver does (kubectl 1.32 `patch --local` agrees).
 */
import { unclassified, invalid } from '../errors.js';
import { brief, getKey, hasKey, isObject, jsonType, type Json, type JsonObject } from '../json-value.js';

export type ElementKind = 'object' | 'string' | 'number' | 'boolean';

/** The single type of the items of `lists`; undefined when they are all empty (sliceElementType). */
export function elementKind(...lists: readonly Json[][]): ElementKind | undefined {
  let kind: ReturnType<typeof jsonType> | undefined;
  for (const list of lists) {
    for (const item of list) {
      const type = jsonType(item);
      if (kind === undefined && type === 'array') throw invalid('lists of lists are not supported');
      if (kind === undefined) kind = type;
      else if (type !== kind) throw unclassified(`list element types are not identical: ${brief(list)}`);
    }
  }
  if (kind === 'null') throw unclassified('a list item is null');
  return kind as ElementKind | undefined;
}

/** The item's merge key value (maps) or the item itself (scalars, mergeKey ''). */
function identity(item: Json, mergeKey: string): Json | undefined {
  return mergeKey === '' ? item : isObject(item) ? getKey(item, mergeKey) : undefined;
}

/** Go's `==` on the identities; objects (never valid merge keys) compare by reference. */
function indexIn(list: readonly Json[], item: Json, mergeKey: string): number {
  const wanted = identity(item, mergeKey);
  return list.findIndex((v) => identity(v, mergeKey) === wanted);
}

const mergeKeyHint =
  'every item of a merged list must carry its merge key; to replace the whole list use --type merge or json';

/** Each item must be a map holding the merge key; kube-apiserver answers 500 otherwise. */
export function requireMergeKey(items: readonly Json[], mergeKey: string, where: string): JsonObject[] {
  for (const item of items) {
    if (!isObject(item)) throw unclassified(`${where}: expected a map, got ${brief(item)}`);
    if (!hasKey(item, mergeKey)) {
      throw unclassified(
        `${where}: map ${brief(item)} does not contain declared merge key: ${mergeKey}`,
        mergeKeyHint,
      );
    }
  }
  return items as JsonObject[];
}

/** [items named in `by`, the rest], each in `merged` order. */
export function partition(
  merged: readonly Json[],
  by: readonly Json[],
  mergeKey: string,
  where: string,
): [Json[], Json[]] {
  const named: Json[] = [];
  const rest: Json[] = [];
  if (mergeKey === '') {
    // strategicpatch puts the items in a Go map: a map item there is a runtime panic, a 500.
    if (by.some((v) => isObject(v) || Array.isArray(v))) {
      throw unclassified(
        `${where}: hash of unhashable type: the list has no merge key, so its items cannot be maps`,
      );
    }
    const set = new Set(by);
    for (const item of merged) (set.has(item) ? named : rest).push(item);
    return [named, rest];
  }
  requireMergeKey(merged, mergeKey, where);
  for (const item of merged) {
    const found = by.some((b) => {
      if (!isObject(b)) throw unclassified(`${where}: expected a map, got ${brief(b)}`);
      return hasKey(b, mergeKey) && b[mergeKey] === (item as JsonObject)[mergeKey];
    });
    (found ? named : rest).push(item);
  }
  return [named, rest];
}

/** `items` stably sorted by position in `order`; items `order` lacks go last (unreachable in practice). */
function sortBy(items: Json[], order: readonly Json[], mergeKey: string): Json[] {
  const position = (v: Json) => {
    const i = indexIn(order, v, mergeKey);
    return i < 0 ? Infinity : i;
  };
  return items
    .map((item, i) => ({ item, i, at: position(item) }))
    .sort((a, b) => (a.at === b.at ? a.i - b.i : a.at - b.at))
    .map((e) => e.item);
}

/**
 * The final order: `patchItems` sorted by `patchOrder`, `serverOnly` by `serverOrder`, interleaved
 * as described at the top of this file.
 */
export function normalizeOrder(
  patchItems: Json[],
  serverOnly: Json[],
  patchOrder: readonly Json[],
  serverOrder: readonly Json[],
  mergeKey: string,
  where: string,
): Json[] {
  if (mergeKey !== '')
    requireMergeKey([...patchItems, ...patchOrder, ...serverOnly, ...serverOrder], mergeKey, where);
  const right = sortBy(patchItems, patchOrder, mergeKey);
  const left = sortBy(serverOnly, serverOrder, mergeKey);
  const out: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (j >= right.length) out.push(left[i++]!);
    else if (i >= left.length) out.push(right[j++]!);
    else {
      const li = indexIn(serverOrder, left[i]!, mergeKey);
      const ri = indexIn(serverOrder, right[j]!, mergeKey);
      out.push(li >= 0 && ri >= 0 && li < ri ? left[i++]! : right[j++]!);
    }
  }
  return out;
}

/**
 * A `$setElementOrder` list must name the patch's items (those not deleted) in the same relative
 * order; it may name more. kube-apiserver answers 500 when it does not.
 */
export function validateSetOrder(
  patchList: readonly Json[],
  order: readonly Json[],
  mergeKey: string,
  where: string,
): void {
  if (patchList.length === 0 || order.length === 0) return;
  const items =
    mergeKey === ''
      ? patchList
      : patchList.filter((v) => {
          if (!isObject(v)) throw unclassified(`${where}: expected a map, got ${brief(v)}`);
          return getKey(v, '$patch') !== 'delete';
        });
  const same = (a: Json, b: Json): boolean => {
    if (mergeKey === '') return a === b;
    requireMergeKey([a, b], mergeKey, where);
    return (a as JsonObject)[mergeKey] === (b as JsonObject)[mergeKey];
  };
  const directive = (v: Json) => isObject(v) && hasKey(v, '$patch');
  let p = 0;
  let s = 0;
  while (p < items.length && s < order.length) {
    // Items carrying a directive ($patch: replace) are skipped without using up an order entry.
    if (directive(items[p]!)) {
      p++;
      continue;
    }
    if (same(items[p]!, order[s]!)) p++;
    s++;
  }
  if (p < items.length && s >= order.length) {
    throw unclassified(
      `${where}: the order in the patch list ${brief(patchList as Json[])} doesn't match $setElementOrder list ${brief(order as Json[])}`,
    );
  }
}

/**
 * The live order `$setElementOrder` interleaves against, as kube-apiserver really has it after the
 * list was merged. strategicpatch deletes `$patch: delete` items with
 * `append(original[:k], original[k+1:]...)` and appends new items with `append`, both inside the
 * live list's own backing array, so the slice it later uses as the live order has been rewritten:
 * shifted down past each deleted item, with the freed slots at the end reused by appended items.
 * This replays those writes on a copy (merging in place keeps merge keys, so it is skipped). It
 * only changes anything when a list has both `$setElementOrder` and `$patch: delete` items, which
 * is what `kubectl apply` sends when a container is removed.
 */
export function liveOrderAfterMerge(
  original: readonly Json[],
  patch: readonly Json[],
  mergeKey: string,
): Json[] {
  const slots = [...original];
  const key = (v: Json) => (isObject(v) ? getKey(v, mergeKey) : undefined);
  let length = slots.length;
  let replace = false;
  for (const item of patch) {
    const directive = isObject(item) ? getKey(item, '$patch') : undefined;
    if (directive === 'replace') replace = true;
    if (directive !== 'delete') continue;
    for (let k = slots.findIndex((v, i) => i < length && key(v) === key(item)); k >= 0;) {
      slots.copyWithin(k, k + 1, length);
      length--;
      k = slots.findIndex((v, i) => i < length && key(v) === key(item));
    }
  }
  if (replace) return slots;
  for (const item of patch) {
    if (isObject(item) && hasKey(item, '$patch')) continue;
    if (slots.findIndex((v, i) => i < length && key(v) === key(item)) >= 0) continue;
    // Appends past the live list's length land in a new array the live slice never sees.
    if (length < slots.length) slots[length] = item;
    length++;
  }
  return slots;
}
