/**
 * One watch cache per resource prefix of one storage, created on the first watch. Every cache
 * starts from the server's start revision (its first list is read at that revision), so a cache
 * created late serves the same history as one created at start, and none serves anything older.
 */
import type { Storage } from '../storage/index.js';
import { WatchCache } from './cache.js';

export interface WatchCachesOptions {
  /** The storage revision when the server started. */
  startRevision: string;
  /** Events kept per resource for resuming watches (kube-apiserver keeps 100 to ~100k, by time). */
  capacity?: number;
  signal: AbortSignal;
  log?: (line: string) => void;
}

export class WatchCaches {
  private readonly caches = new Map<string, WatchCache>();

  constructor(
    private readonly storage: Storage,
    private readonly opts: WatchCachesOptions,
  ) {}

  /** The cache of the resource whose keys start with prefix (the resource's storagePrefixKey). */
  get(prefix: string): WatchCache {
    let cache = this.caches.get(prefix);
    if (!cache) {
      cache = new WatchCache(this.storage, prefix, {
        startRevision: this.opts.startRevision,
        capacity: this.opts.capacity ?? 10_000,
        // A signal of its own: one abort listener per cache on the server's signal would trip
        // Node's MaxListenersExceededWarning past 10 watched resources.
        signal: AbortSignal.any([this.opts.signal]),
        log: this.opts.log,
      });
      this.caches.set(prefix, cache);
    }
    return cache;
  }
}
