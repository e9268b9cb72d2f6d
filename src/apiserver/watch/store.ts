/**
 * The current objects of one watch cache, as the cacher's store keeps them: by key, listed in key
 * order (what an etcd range returns, so a list from the cache reads like one from etcd), with
 * optional indexes on a field (kube-apiserver indexes pods by spec.nodeName, so each kubelet's
 * list and the Node authorizer touch only that node's pods). Objects are shared, never copied:
 * nobody may mutate what the store hands out.
 */
import type { KubeObject } from '../storage/index.js';

/** An index: the value an object is filed under, or undefined for none. */
export type IndexFunc = (object: KubeObject) => string | undefined;

export class CacheStore {
  private readonly objects = new Map<string, KubeObject>();
  /** Keys in order; rebuilt on demand after a key came or went. */
  private sorted: string[] | undefined = [];
  private readonly indexes = new Map<string, { fn: IndexFunc; values: Map<string, Set<string>> }>();

  constructor(indexes: Record<string, IndexFunc> = {}) {
    for (const [name, fn] of Object.entries(indexes)) this.indexes.set(name, { fn, values: new Map() });
  }

  get(key: string): KubeObject | undefined {
    return this.objects.get(key);
  }

  get size(): number {
    return this.objects.size;
  }

  set(key: string, object: KubeObject): void {
    const prev = this.objects.get(key);
    if (!prev) this.sorted = undefined;
    this.objects.set(key, object);
    for (const { fn, values } of this.indexes.values()) {
      const before = prev && fn(prev);
      const after = fn(object);
      if (before === after) continue;
      if (before !== undefined) unfile(values, before, key);
      if (after !== undefined) file(values, after, key);
    }
  }

  delete(key: string): void {
    const prev = this.objects.get(key);
    if (!prev) return;
    this.objects.delete(key);
    this.sorted = undefined;
    for (const { fn, values } of this.indexes.values()) {
      const before = fn(prev);
      if (before !== undefined) unfile(values, before, key);
    }
  }

  clear(): void {
    this.objects.clear();
    this.sorted = [];
    for (const { values } of this.indexes.values()) values.clear();
  }

  /** Whether the store has an index of this name. */
  hasIndex(name: string): boolean {
    return this.indexes.has(name);
  }

  /**
   * [key, object] pairs in key order: those whose key starts with keyPrefix, or, with `index`, those
   * filed under index.value (an unknown index name lists nothing: check hasIndex first).
   */
  entries(keyPrefix: string, index?: { name: string; value: string }): Array<[string, KubeObject]> {
    let keys: Iterable<string>;
    if (index) {
      keys = [...(this.indexes.get(index.name)?.values.get(index.value) ?? [])].sort();
    } else {
      this.sorted ??= [...this.objects.keys()].sort();
      keys = keyPrefix ? this.sorted.slice(lowerBound(this.sorted, keyPrefix)) : this.sorted;
    }
    const out: Array<[string, KubeObject]> = [];
    for (const key of keys) {
      if (!key.startsWith(keyPrefix)) {
        if (index) continue;
        break;
      }
      out.push([key, this.objects.get(key)!]);
    }
    return out;
  }
}

function file(values: Map<string, Set<string>>, value: string, key: string): void {
  let keys = values.get(value);
  if (!keys) values.set(value, (keys = new Set()));
  keys.add(key);
}

function unfile(values: Map<string, Set<string>>, value: string, key: string): void {
  const keys = values.get(value);
  if (!keys) return;
  keys.delete(key);
  if (keys.size === 0) values.delete(value);
}

/** The first position in sorted whose element is >= s. */
function lowerBound(sorted: string[], s: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < s) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
