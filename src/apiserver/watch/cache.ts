/**
 * The watch cache of one resource, as kube-apiserver's cacher keeps it (apiserver
 * pkg/storage/cacher): one storage watch per resource prefix, the current objects in memory, and a
 * bounded window of recent events with each event's previous object. Every client watch is served
 * from here, which gives the cacher's semantics:
 * - a watch from a resourceVersion older than the window gets 410 Expired, and the window starts
 *   at the server's start revision, so clients of a previous server relist once (DESIGN §3 step 5);
 * - label/field selectors see an object leave the selection (DELETED) and enter it (ADDED);
 * - 200 watchers cost one etcd watch and see the same events in the same order.
 * Lists (resourceVersion 0 or "not older than N") and the object an update starts from are read
 * here too, as the cacher serves them; so that a client reads its own writes, a read first waits
 * for the cache to reach the latest revision this server wrote under the prefix (noteWrite).
 */
import { isStorageError, type KubeObject, type Storage, type StorageEventType } from '../storage/index.js';
import { CacheStore, type IndexFunc } from './store.js';

export interface CacheEvent {
  type: StorageEventType;
  key: string;
  /** ADDED/MODIFIED: the new state; DELETED: the last state, with the deletion's resourceVersion. */
  object: KubeObject;
  /** The state before this event, if the object existed. */
  prevObject?: KubeObject;
  revision: bigint;
}

/** A subscriber: gets each event synchronously, in revision order; `closed` ends the subscription. */
export interface CacheSubscriber {
  onEvent(event: CacheEvent): void;
  /** The cache lost its history (resync) or closed: the subscriber must end its watch. */
  onTerminate(reason: string): void;
}

export interface WatchCacheOptions {
  /** The server's start revision: history is served from here on, nothing older. */
  startRevision: string;
  /** Events kept for watches that resume; older resourceVersions get 410. */
  capacity: number;
  signal: AbortSignal;
  log?: (line: string) => void;
  /** Field indexes of the current objects (pods: spec.nodeName). */
  indexes?: Record<string, IndexFunc>;
}

export class WatchCache {
  private readonly store: CacheStore;
  private readonly window: CacheEvent[] = [];
  private readonly subscribers = new Set<CacheSubscriber>();
  /** The revision up to which the cache has applied events (or listed). */
  private revision = 0n;
  /** Watches from a revision below this get 410. */
  private oldestServable = 0n;
  private readonly ready: Promise<void>;
  private markReady!: () => void;
  private failure: unknown;
  private listed = false;
  /** The highest revision this server wrote under the prefix: reads from the cache wait for it. */
  private written = 0n;
  /** Readers waiting for the cache to reach a revision, resolved as events apply. */
  private waiters: Array<{ revision: bigint; resolve: (reached: boolean) => void }> = [];

  constructor(
    private readonly storage: Storage,
    readonly prefix: string,
    private readonly opts: WatchCacheOptions,
  ) {
    this.store = new CacheStore(opts.indexes);
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    // The loop runs for the cache's life; its first list decides readiness.
    void this.run().finally(() => this.markReady());
  }

  /** Resolves once the first list is in; rejects with the storage error if it failed. */
  async whenReady(): Promise<void> {
    await this.ready;
    if (this.failure) throw this.failure;
  }

  /** True once the first list is in (and did not fail): reads may be served from here. */
  isReady(): boolean {
    return this.listed && !this.failure && !this.opts.signal.aborted;
  }

  /** This server wrote under the prefix at revision: later reads here wait until the cache has it. */
  noteWrite(revision: bigint): void {
    if (revision > this.written) this.written = revision;
  }

  /**
   * Resolves true once the cache has applied every event up to `revision` (default: the latest
   * this server wrote under the prefix), false if that takes longer than timeoutMs or the cache
   * stops; the caller then reads storage instead.
   */
  fresh(timeoutMs: number, revision = this.written): Promise<boolean> {
    if (!this.isReady()) return Promise.resolve(false);
    if (this.revision >= revision) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = {
        revision,
        resolve: (reached: boolean) => {
          clearTimeout(timer);
          resolve(reached);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** The object under key now (shared: never mutate it). */
  get(key: string): KubeObject | undefined {
    return this.store.get(key);
  }

  /** Whether the current objects are indexed by this field. */
  hasIndex(field: string): boolean {
    return this.store.hasIndex(field);
  }

  /** The current objects under keyPrefix (or filed under index.value), in key order; shared, never mutate them. */
  list(keyPrefix: string, index?: { name: string; value: string }): KubeObject[] {
    return this.store.entries(keyPrefix, index).map(([, object]) => object);
  }

  currentRevision(): bigint {
    return this.revision;
  }

  oldest(): bigint {
    return this.oldestServable;
  }

  /**
   * Subscribes from `from`: undefined = the current state as ADDED events (resourceVersion 0 or
   * unset), otherwise the window's events after `from`. Returns the events to replay; the
   * subscriber gets every later event. Throws 'too old' as a string code for the caller to word.
   */
  subscribe(sub: CacheSubscriber, from: bigint | undefined): { replay: CacheEvent[]; tooOld?: bigint } {
    if (from !== undefined && from < this.oldestServable) return { replay: [], tooOld: this.oldestServable };
    let replay: CacheEvent[];
    if (from === undefined) {
      replay = this.store.entries('').map(([key, object]) => ({
        type: 'ADDED' as const,
        key,
        object,
        revision: BigInt(object.metadata?.resourceVersion ?? '0'),
      }));
    } else {
      replay = this.window.filter((e) => e.revision > from);
    }
    this.subscribers.add(sub);
    return { replay };
  }

  unsubscribe(sub: CacheSubscriber): void {
    this.subscribers.delete(sub);
  }

  /** Number of live subscribers (for tests and metrics). */
  size(): number {
    return this.subscribers.size;
  }

  private async run(): Promise<void> {
    let first = true;
    let backoff = 100;
    while (!this.opts.signal.aborted) {
      try {
        await this.relist(first);
        this.listed = true;
        this.wake();
        if (first) this.markReady();
        first = false;
        backoff = 100;
        for await (const e of this.storage.watch(this.prefix, {
          fromRevision: this.revision.toString(),
          signal: this.opts.signal,
        })) {
          this.apply({ type: e.type, key: e.key, object: e.object, revision: BigInt(e.revision) });
        }
        if (this.opts.signal.aborted) break;
        this.resync('the storage watch ended');
      } catch (err) {
        if (first) {
          this.failure = err;
          return;
        }
        if (this.opts.signal.aborted) break;
        this.opts.log?.(`watch cache ${this.prefix}: ${(err as Error).message}; relisting`);
        this.resync(
          isStorageError(err, 'EXPIRED')
            ? 'the watch cache fell behind a compaction'
            : 'the storage watch failed',
        );
        await sleep(backoff, this.opts.signal);
        backoff = Math.min(backoff * 2, 5000);
      }
    }
    for (const s of [...this.subscribers]) s.onTerminate('the API server is shutting down');
    this.subscribers.clear();
    for (const w of this.waiters.splice(0)) w.resolve(false);
  }

  // The first list is at the server's start revision, so events since the start are in the window;
  // if that revision is compacted (or on a relist) the cache starts from now.
  private async relist(first: boolean): Promise<void> {
    let res;
    try {
      res = await this.storage.list(this.prefix, first ? { revision: this.opts.startRevision } : {});
    } catch (err) {
      if (!first || !isStorageError(err, 'EXPIRED')) throw err;
      res = await this.storage.list(this.prefix);
    }
    this.store.clear();
    for (const item of res.items) this.store.set(item.key, item.object);
    this.revision = BigInt(res.revision);
    this.oldestServable = this.revision;
    this.window.length = 0;
  }

  private apply(e: CacheEvent): void {
    if (e.revision <= this.revision) return;
    const prev = this.store.get(e.key);
    if (prev) e.prevObject = prev;
    if (e.type === 'DELETED') this.store.delete(e.key);
    else this.store.set(e.key, e.object);
    this.revision = e.revision;
    this.window.push(e);
    if (this.window.length > this.opts.capacity) {
      const dropped = this.window.splice(0, this.window.length - this.opts.capacity);
      // A watch from the dropped event's revision still gets every later event.
      this.oldestServable = dropped[dropped.length - 1]!.revision;
    }
    for (const s of this.subscribers) s.onEvent(e);
    if (this.waiters.length > 0) this.wake();
  }

  private wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) {
      if (this.revision >= w.revision) w.resolve(true);
      else this.waiters.push(w);
    }
  }

  // After losing events the window cannot be trusted: every watcher ends (and re-watches from its
  // last resourceVersion, which is now too old, so it relists), as the cacher does on reinit.
  private resync(reason: string): void {
    // Until the relist, reads go to storage.
    this.listed = false;
    this.window.length = 0;
    for (const s of [...this.subscribers]) s.onTerminate(reason);
    this.subscribers.clear();
    // Until the relist, nothing can be served from history.
    this.oldestServable = this.revision + 1n;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
