/**
 * One watch cache per resource prefix of one storage, created on first use. Every cache starts
 * from the server's start revision (its first list is read at that revision), so a cache created
 * late serves the same history as one created at start, and none serves anything older.
 */
import type { KubeObject, Storage } from '../storage/index.js';
import { WatchCache } from './cache.js';
import type { IndexFunc } from './store.js';

export interface WatchCachesOptions {
  /** The storage revision when the server started. */
  startRevision: string;
  /** Events kept per resource for resuming watches (kube-apiserver keeps 100 to ~100k, by time). */
  capacity?: number;
  signal: AbortSignal;
  log?: (line: string) => void;
}

/** The field indexes kube-apiserver's cacher keeps (pkg/registry/core/pod: pods by spec.nodeName). */
const INDEXES: Record<string, Record<string, IndexFunc>> = {
  '/registry/pods': {
    'spec.nodeName': (o: KubeObject) => (o as { spec?: { nodeName?: string } }).spec?.nodeName || undefined,
  },
};

export class WatchCaches {
  private readonly caches = new Map<string, WatchCache>();
  /** The latest revision this server wrote under each key prefix, for caches made later. */
  private readonly writes = new Map<string, bigint>();

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
        indexes: INDEXES[prefix],
      });
      this.caches.set(prefix, cache);
      const written = this.writes.get(prefix);
      if (written !== undefined) cache.noteWrite(written);
    }
    return cache;
  }

  /** This server wrote key at revision: no cache holding key serves anything older from now on. */
  noteWrite(key: string, revision: string): void {
    const rev = BigInt(revision);
    // Every prefix of the key that ends before a '/': a resource's prefix is one of them.
    for (let i = key.indexOf('/', 1); i > 0; i = key.indexOf('/', i + 1)) {
      const prefix = key.slice(0, i);
      if ((this.writes.get(prefix) ?? 0n) < rev) this.writes.set(prefix, rev);
      this.caches.get(prefix)?.noteWrite(rev);
    }
  }
}
