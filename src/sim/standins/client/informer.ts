/**
 * A shared informer as client-go's reflector runs one (reference §3.2–3.3): list, then watch from
 * the list's resourceVersion with bookmarks; a watch that ends is resumed from the last version
 * seen; `410 Expired` (an ERROR event or the HTTP status) means relist, and the relist is diffed
 * against the cache so handlers see exactly the adds, updates and deletes that were missed. Any
 * other failure (connection refused during a hand-off, a 503) backs off and relists.
 */
import { isApiStatus } from '../errors.js';
import { watchError, type KObj, type KubeClient, type WatchEvent } from './client.js';

export interface InformerHandler {
  add?(obj: KObj): void;
  update?(old: KObj, obj: KObj): void;
  delete?(obj: KObj): void;
}

export interface InformerOptions {
  /** The collection path across namespaces: `/api/v1/pods`, `/apis/apps/v1/daemonsets`. */
  path: string;
  fieldSelector?: string;
  labelSelector?: string;
  /** Server-side watch timeout; client-go picks 5–10 min. */
  watchTimeoutSeconds?: number;
  /** Back-off after a failed list or watch: doubles from minMs to maxMs. */
  backoff?: { minMs: number; maxMs: number };
  log?: (line: string) => void;
}

/** `namespace/name`, or `name` for cluster-scoped objects (client-go's MetaNamespaceKeyFunc). */
export function keyOf(obj: KObj): string {
  const m = obj.metadata ?? {};
  return m.namespace ? `${m.namespace}/${m.name}` : String(m.name);
}

export class Informer {
  private readonly store = new Map<string, KObj>();
  private readonly handlers: InformerHandler[] = [];
  private lastRv = '';
  private syncedFlag = false;
  private resolveSynced!: () => void;
  /** Settles once the first list has been delivered to the handlers. */
  readonly synced = new Promise<void>((resolve) => (this.resolveSynced = resolve));

  constructor(
    private readonly client: KubeClient,
    readonly opts: InformerOptions,
  ) {}

  addHandler(h: InformerHandler): void {
    this.handlers.push(h);
  }

  get hasSynced(): boolean {
    return this.syncedFlag;
  }

  get(key: string): KObj | undefined {
    return this.store.get(key);
  }

  list(): KObj[] {
    return [...this.store.values()];
  }

  /** Lists and watches until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const { minMs, maxMs } = this.opts.backoff ?? { minMs: 100, maxMs: 2000 };
    let delay = minMs;
    while (!signal.aborted) {
      try {
        await this.relist(signal);
        delay = minMs;
        await this.watchLoop(signal);
      } catch (err) {
        if (signal.aborted) return;
        if (!isApiStatus(err, 410)) {
          this.opts.log?.(`informer ${this.opts.path}: ${(err as Error).message}; retrying in ${delay} ms`);
          await sleep(delay, signal);
          delay = Math.min(delay * 2, maxMs);
        }
      }
    }
  }

  private query(extra: Record<string, string>): string {
    const q = new URLSearchParams();
    if (this.opts.fieldSelector) q.set('fieldSelector', this.opts.fieldSelector);
    if (this.opts.labelSelector) q.set('labelSelector', this.opts.labelSelector);
    for (const [k, v] of Object.entries(extra)) q.set(k, v);
    return `${this.opts.path}?${q}`;
  }

  private async relist(signal: AbortSignal): Promise<void> {
    // A consistent read: after a 410 the cache's version is too old to ask for.
    const list = await this.client.get<{ items?: KObj[]; metadata?: { resourceVersion?: string } }>(
      this.query({}),
      signal,
    );
    const kind = (list as KObj).kind?.replace(/List$/, '');
    const apiVersion = (list as KObj).apiVersion;
    const seen = new Set<string>();
    for (const item of list.items ?? []) {
      // List items carry no apiVersion/kind; the handlers (owner references, events) want them.
      const obj: KObj = { apiVersion, kind, ...item };
      const key = keyOf(obj);
      seen.add(key);
      const old = this.store.get(key);
      this.store.set(key, obj);
      if (!old) this.emit('add', obj);
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.emit('update', obj, old);
    }
    for (const [key, old] of [...this.store]) {
      if (seen.has(key)) continue;
      this.store.delete(key);
      this.emit('delete', old);
    }
    this.lastRv = list.metadata?.resourceVersion ?? '';
    if (!this.syncedFlag) {
      this.syncedFlag = true;
      this.resolveSynced();
    }
  }

  private async watchLoop(signal: AbortSignal): Promise<void> {
    const timeout = this.opts.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300);
    while (!signal.aborted) {
      let failure: Error | undefined;
      const ac = new AbortController();
      const both = AbortSignal.any([signal, ac.signal]);
      const path = this.query({
        watch: '1',
        resourceVersion: this.lastRv,
        allowWatchBookmarks: 'true',
        timeoutSeconds: String(timeout),
      });
      const started = Date.now();
      let events = 0;
      await this.client.watch(
        path,
        (e) => {
          if (failure) return;
          events++;
          try {
            this.apply(e);
          } catch (err) {
            failure = err as Error;
            ac.abort();
          }
        },
        both,
      );
      if (failure) throw failure;
      // A watch cut at once with nothing in it is a failure, not a timeout (client-go's "very short watch").
      if (events === 0 && Date.now() - started < 1000 && !signal.aborted) throw new Error('very short watch');
    }
  }

  private apply(e: WatchEvent): void {
    if (e.type === 'ERROR') throw watchError(e);
    const rv = e.object?.metadata?.resourceVersion;
    if (e.type === 'BOOKMARK') {
      if (rv) this.lastRv = rv;
      return;
    }
    const key = keyOf(e.object);
    const old = this.store.get(key);
    if (e.type === 'DELETED') {
      this.store.delete(key);
      this.emit('delete', old ?? e.object);
    } else {
      this.store.set(key, e.object);
      if (old) this.emit('update', e.object, old);
      else this.emit('add', e.object);
    }
    if (rv) this.lastRv = rv;
  }

  private emit(type: 'add' | 'update' | 'delete', obj: KObj, old?: KObj): void {
    for (const h of this.handlers) {
      try {
        if (type === 'add') h.add?.(obj);
        else if (type === 'update') h.update?.(old!, obj);
        else h.delete?.(obj);
      } catch (err) {
        this.opts.log?.(`informer ${this.opts.path}: handler failed: ${(err as Error).message}`);
      }
    }
  }
}

/** Resolves after ms, or at once when signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
