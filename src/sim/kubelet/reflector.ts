/**
 * client-go's reflector (reference §3), the way every informer of the kubelet lists and watches:
 * first LIST with `limit=500&resourceVersion=0`; WATCH from the list's resourceVersion with
 * bookmarks and a random timeoutSeconds in [min, 2·min); a watch that ends normally is re-opened
 * from the last resourceVersion without a relist; a 410 (as an ERROR event or as the status) ends
 * the watch and relists from the last resourceVersion, falling back to a consistent list
 * (resourceVersion="") when that list is itself expired; a "very short watch" (under 1 s, no
 * events) is an error. Errors back off as the reflector's backoff manager does: 800 ms doubling
 * to 30 s, jittered, reset after 2 quiet minutes. Connection-refused watches retry in place.
 */
import type { ApiClient, Query, WatchEvent } from './api-client.js';
import type { Clock } from './clock.js';

export type Obj = Record<string, any>;

export interface ReflectorOptions {
  client: ApiClient;
  clock: Clock;
  /** Collection path, e.g. /api/v1/pods. */
  path: string;
  fieldSelector?: string;
  /** The reflector's minWatchTimeout: 5 min, or 30 min for the kubelet's configmap/secret reflectors. */
  minWatchTimeoutS?: number;
  /** Called with the full set after every list. */
  onReplace(items: Obj[]): void;
  onEvent(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: Obj): void;
  /** Called with a short description each time a list or watch fails (for the node's log). */
  onError?(what: string): void;
  signal: AbortSignal;
  random?: () => number;
}

/** wait.NewExponentialBackoffManager(800ms, 30s, 2m, 2.0, 1.0). */
export class BackoffManager {
  private current = 0;
  private lastAt = -Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly initialMs = 800,
    private readonly capMs = 30_000,
    private readonly resetMs = 120_000,
    private readonly random: () => number = Math.random,
  ) {}

  /** The next wait in kubelet milliseconds (jittered by up to 100 %). */
  next(): number {
    if (this.clock.since(this.lastAt) > this.resetMs || this.current === 0) this.current = this.initialMs;
    else this.current = Math.min(this.current * 2, this.capMs);
    this.lastAt = this.clock.now();
    return this.current + this.random() * this.current;
  }
}

function isExpired(r: { status: number; body?: any }): boolean {
  const reason = r.body?.reason;
  return r.status === 410 || reason === 'Expired' || reason === 'Gone' || r.body?.code === 410;
}

export class Reflector {
  hasSynced = false;
  lastSyncResourceVersion = '';
  private unavailable = false;
  private readonly backoff: BackoffManager;
  private readonly random: () => number;

  constructor(private readonly opts: ReflectorOptions) {
    this.random = opts.random ?? Math.random;
    this.backoff = new BackoffManager(opts.clock, 800, 30_000, 120_000, this.random);
  }

  /** Lists and watches until the signal aborts. */
  async run(): Promise<void> {
    const { signal } = this.opts;
    while (!signal.aborted) {
      try {
        if (await this.list()) await this.watchLoop();
        if (signal.aborted) return;
        await this.opts.clock.sleep(this.backoff.next(), signal);
      } catch {
        if (signal.aborted) return;
      }
    }
  }

  private relistResourceVersion(): string {
    if (this.unavailable) return '';
    return this.lastSyncResourceVersion || '0';
  }

  private async list(): Promise<boolean> {
    let r = await this.listOnce(this.relistResourceVersion());
    if (r.status !== 200 && isExpired(r)) {
      // The resourceVersion we had is gone: retry at once with a consistent read.
      this.unavailable = true;
      r = await this.listOnce('');
    }
    if (r.status !== 200) {
      this.opts.onError?.(`list ${this.opts.path}: ${r.status || r.error?.message}`);
      return false;
    }
    this.unavailable = false;
    this.lastSyncResourceVersion = r.rv;
    this.opts.onReplace(r.items);
    this.hasSynced = true;
    return true;
  }

  // The pager: 500 per page when reading from the cache (rv 0) or consistently (""), one page otherwise.
  private async listOnce(
    rv: string,
  ): Promise<{ status: number; body?: any; error?: Error; items: Obj[]; rv: string }> {
    const paged = rv === '' || rv === '0';
    const items: Obj[] = [];
    let cont: string | undefined;
    for (;;) {
      const query: Query = {
        fieldSelector: this.opts.fieldSelector,
        limit: paged ? 500 : undefined,
        resourceVersion: cont ? undefined : rv || undefined,
        continue: cont,
      };
      const r = await this.opts.client.request('kube', 'GET', this.opts.path, { query });
      if (r.status !== 200) return { ...r, items: [], rv: '' };
      items.push(...((r.body?.items as Obj[]) ?? []));
      cont = r.body?.metadata?.continue || undefined;
      if (!cont) return { status: 200, items, rv: String(r.body?.metadata?.resourceVersion ?? '') };
    }
  }

  private async watchLoop(): Promise<void> {
    const { clock, signal, client } = this.opts;
    const minS = this.opts.minWatchTimeoutS ?? 300;
    while (!signal.aborted) {
      const started = clock.now();
      let expired = false;
      let failed: string | undefined;
      const timeoutSeconds = Math.floor(minS * (this.random() + 1));
      const query: Query = {
        allowWatchBookmarks: 'true',
        fieldSelector: this.opts.fieldSelector,
        resourceVersion: this.lastSyncResourceVersion,
        timeoutSeconds,
        watch: 'true',
      };
      const stop = new AbortController();
      const onAbort = () => stop.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      const r = await client.watch(
        this.opts.path,
        query,
        (e) => {
          const outcome = this.handle(e);
          if (outcome === 'expired') expired = true;
          if (outcome === 'error') failed = `watch ${this.opts.path}: ${e.object?.message ?? 'error event'}`;
          if (outcome !== 'ok') stop.abort();
        },
        stop.signal,
      );
      signal.removeEventListener('abort', onAbort);
      if (signal.aborted) return;
      if (r.status === 0) {
        // Connection refused: retry the watch in place after a back-off, as isWatchErrorRetriable says.
        if (
          /ECONNREFUSED/.test(
            String((r.error as NodeJS.ErrnoException | undefined)?.code ?? r.error?.message),
          )
        ) {
          await clock.sleep(this.backoff.next(), signal);
          continue;
        }
        this.opts.onError?.(`watch ${this.opts.path}: ${r.error?.message}`);
        return;
      }
      if (r.status !== 200) {
        if (r.status === 429) {
          await clock.sleep(this.backoff.next(), signal);
          continue;
        }
        this.opts.onError?.(`watch ${this.opts.path}: ${r.status}`);
        return;
      }
      if (expired || failed) {
        if (failed) this.opts.onError?.(failed);
        return;
      }
      // A watch that closes at once having said nothing means the server is not serving watches.
      if (clock.since(started) < 1000 && r.events === 0) {
        this.opts.onError?.(`very short watch: ${this.opts.path}: unexpected watch close`);
        return;
      }
    }
  }

  private handle(e: WatchEvent): 'ok' | 'expired' | 'error' {
    const rv = e.object?.metadata?.resourceVersion;
    switch (e.type) {
      case 'ADDED':
      case 'MODIFIED':
      case 'DELETED':
        this.opts.onEvent(e.type, e.object as Obj);
        if (rv) this.lastSyncResourceVersion = String(rv);
        return 'ok';
      case 'BOOKMARK':
        if (rv) this.lastSyncResourceVersion = String(rv);
        return 'ok';
      case 'ERROR':
        return isExpired({ status: Number(e.object?.code ?? 0), body: e.object }) ? 'expired' : 'error';
      default:
        return 'error';
    }
  }
}

/** A keyed cache fed by a reflector (an informer's indexer without indexes). */
export class ObjectStore {
  readonly items = new Map<string, Obj>();

  static key(o: Obj): string {
    const m = o.metadata ?? {};
    return m.namespace ? `${m.namespace}/${m.name}` : String(m.name);
  }

  replace(items: Obj[]): void {
    this.items.clear();
    for (const o of items) this.items.set(ObjectStore.key(o), o);
  }

  apply(type: string, o: Obj): void {
    if (type === 'DELETED') this.items.delete(ObjectStore.key(o));
    else this.items.set(ObjectStore.key(o), o);
  }

  get(key: string): Obj | undefined {
    return this.items.get(key);
  }

  list(): Obj[] {
    return [...this.items.values()];
  }
}
