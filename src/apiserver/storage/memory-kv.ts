/**
 * A small model of etcd's MVCC store, for tests and rehearsals without etcd: one global revision
 * (1 when empty, +1 per write, like etcd), the current state, and a log of the writes that serves
 * watches and reads at past revisions (by undoing newer writes). The log is bounded: dropping its
 * oldest write moves the compaction point, as etcd's compaction does, and older revisions get EXPIRED.
 *
 * TTLs are deadlines on an injectable clock. Expiry is applied before every operation and by a
 * timer, each expired key deleted at its own new revision (etcd deletes all keys of one lease in one
 * revision; nothing here depends on that).
 */
import { ExpiredError, RevisionTooLargeError, UnavailableError } from './errors.js';
import { EventQueue } from './event-queue.js';
import type {
  Kv,
  RangeRequest,
  RangeResult,
  RawEvent,
  RawKv,
  Refused,
  WriteResult,
  DeleteResult,
} from './kv.js';

/** Milliseconds since some epoch; tests pass a clock they advance by hand. */
export interface Clock {
  now(): number;
}

export interface MemoryKvOptions {
  clock?: Clock;
  /** How many writes the log keeps for watches and past reads (default 10 000). */
  historyLimit?: number;
}

interface Entry extends RawKv {
  expiresAt?: number;
}

interface LogRecord {
  revision: bigint;
  key: string;
  /** The state after the write; undefined for a delete. */
  next: Entry | undefined;
  prev: Entry | undefined;
}

interface Subscriber {
  prefix: string;
  exact: boolean;
  queue: EventQueue<RawEvent>;
}

/** etcd's MVCC semantics in memory (see the header); close() ends its watches. */
export class MemoryKv implements Kv {
  private revision = 1n;
  /** Reads before this revision and watches starting before it are EXPIRED (etcd's compact revision). */
  private compacted = 0n;
  private readonly state = new Map<string, Entry>();
  private readonly expiring = new Set<string>();
  private log: LogRecord[] = [];
  private logHead = 0;
  private readonly subscribers = new Set<Subscriber>();
  private readonly clock: Clock;
  private readonly historyLimit: number;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(opts: MemoryKvOptions = {}) {
    this.clock = opts.clock ?? { now: () => Date.now() };
    this.historyLimit = Math.max(1, opts.historyLimit ?? 10_000);
  }

  async range(req: RangeRequest): Promise<RangeResult> {
    this.begin();
    const at = req.revision === undefined ? this.revision : this.checkReadable(BigInt(req.revision));
    const view = this.viewAt(req.prefix, req.exact ?? false, at);
    const keys = [...view.keys()].filter((k) => req.from === undefined || k >= req.from).sort(compareKeys);
    const limit = req.limit && req.limit > 0 ? req.limit : keys.length;
    const kvs = keys.slice(0, limit).map((k) => publicKv(view.get(k)!));
    return { kvs, more: keys.length > limit, count: keys.length, revision: String(at) };
  }

  async create(key: string, value: Buffer, ttlSeconds?: number): Promise<WriteResult> {
    this.begin();
    const current = this.state.get(key);
    if (current) return refused(current);
    return { ok: true, revision: this.put(key, value, current, ttlSeconds) };
  }

  async update(key: string, value: Buffer, expected: string, ttlSeconds?: number): Promise<WriteResult> {
    this.begin();
    const current = this.state.get(key);
    if (!current || current.modRevision !== expected) return refused(current);
    return { ok: true, revision: this.put(key, value, current, ttlSeconds) };
  }

  async delete(key: string, expected?: string): Promise<DeleteResult> {
    this.begin();
    const current = this.state.get(key);
    if (!current || (expected !== undefined && current.modRevision !== expected)) return refused(current);
    return { ok: true, revision: String(this.remove(key, current)), prev: publicKv(current) };
  }

  watch(prefix: string, exact: boolean, fromRevision: string, signal: AbortSignal): AsyncIterable<RawEvent> {
    // A generator, so nothing is registered until the caller starts iterating.
    const self = this;
    return (async function* () {
      self.begin();
      const start = BigInt(fromRevision) + 1n;
      if (start < self.compacted) {
        throw new ExpiredError(fromRevision, String(self.compacted), `watch of ${prefix}`);
      }
      const subscriber: Subscriber = { prefix, exact, queue: undefined! };
      subscriber.queue = new EventQueue<RawEvent>(signal, {
        onClose: () => self.subscribers.delete(subscriber),
      });
      // Replay and subscribe in one synchronous step: no write can fall between them.
      for (let i = self.logHead; i < self.log.length; i++) {
        const record = self.log[i]!;
        if (record.revision >= start && matches(subscriber, record.key))
          subscriber.queue.push(toEvent(record));
      }
      self.subscribers.add(subscriber);
      yield* subscriber.queue;
    })();
  }

  async currentRevision(): Promise<string> {
    this.begin();
    return String(this.revision);
  }

  async compact(revision: string): Promise<void> {
    this.begin();
    const target = BigInt(revision);
    if (target > this.revision) throw new RevisionTooLargeError(revision, String(this.revision));
    if (target <= this.compacted) return;
    this.compacted = target;
    while (this.logHead < this.log.length && this.log[this.logHead]!.revision < target) this.dropOldest();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    for (const s of this.subscribers) s.queue.end();
    this.subscribers.clear();
  }

  /** The stored bytes and revisions of key, as etcdctl would show them. */
  getRaw(key: string): RawKv | undefined {
    this.begin();
    const e = this.state.get(key);
    return e && publicKv(e);
  }

  /** Writes bytes as they are, bypassing the codec: for tests and tools that plant foreign values. */
  putRaw(key: string, value: Buffer): string {
    this.begin();
    return this.put(key, value, this.state.get(key), undefined);
  }

  private begin(): void {
    if (this.closed)
      throw new UnavailableError([], 'the storage is closed', { hint: 'a closed storage is not reopened' });
    this.expireDue();
  }

  private checkReadable(at: bigint): bigint {
    if (at > this.revision) throw new RevisionTooLargeError(String(at), String(this.revision));
    if (at < this.compacted) throw new ExpiredError(String(at), String(this.compacted), 'read');
    return at;
  }

  /** The keys under prefix as they were at revision at: the current state with newer writes undone. */
  private viewAt(prefix: string, exact: boolean, at: bigint): Map<string, Entry> {
    const view = new Map<string, Entry>();
    const filter = { prefix, exact };
    if (exact) {
      const e = this.state.get(prefix);
      if (e) view.set(prefix, e);
    } else {
      for (const [k, e] of this.state) if (k.startsWith(prefix)) view.set(k, e);
    }
    for (let i = this.log.length - 1; i >= this.logHead && this.log[i]!.revision > at; i--) {
      const record = this.log[i]!;
      if (!matches(filter, record.key)) continue;
      if (record.prev) view.set(record.key, record.prev);
      else view.delete(record.key);
    }
    return view;
  }

  private put(key: string, value: Buffer, prev: Entry | undefined, ttlSeconds: number | undefined): string {
    const revision = ++this.revision;
    const next: Entry = {
      key,
      value: Buffer.from(value),
      createRevision: prev ? prev.createRevision : String(revision),
      modRevision: String(revision),
      // Like etcd's ignore_lease: an update without a TTL keeps the key's expiry.
      expiresAt: ttlSeconds !== undefined ? this.clock.now() + ttlSeconds * 1000 : prev?.expiresAt,
    };
    this.state.set(key, next);
    if (next.expiresAt !== undefined) this.expiring.add(key);
    else this.expiring.delete(key);
    this.append({ revision, key, next, prev });
    this.schedule();
    return String(revision);
  }

  private remove(key: string, prev: Entry): bigint {
    const revision = ++this.revision;
    this.state.delete(key);
    this.expiring.delete(key);
    this.append({ revision, key, next: undefined, prev });
    return revision;
  }

  private append(record: LogRecord): void {
    this.log.push(record);
    while (this.log.length - this.logHead > this.historyLimit) this.dropOldest();
    for (const s of this.subscribers) if (matches(s, record.key)) s.queue.push(toEvent(record));
  }

  private dropOldest(): void {
    const dropped = this.log[this.logHead]!;
    this.log[this.logHead++] = undefined!;
    // Reading at a revision r needs every write after r, and a watch from r needs r itself.
    if (dropped.revision + 1n > this.compacted) this.compacted = dropped.revision + 1n;
    if (this.logHead > 1024 && this.logHead * 2 > this.log.length) {
      this.log = this.log.slice(this.logHead);
      this.logHead = 0;
    }
  }

  private expireDue(): void {
    if (this.expiring.size === 0) return;
    const now = this.clock.now();
    const due = [...this.expiring]
      .map((k) => this.state.get(k)!)
      .filter((e) => e.expiresAt! <= now)
      .sort((a, b) => a.expiresAt! - b.expiresAt! || compareKeys(a.key, b.key));
    for (const e of due) this.remove(e.key, e);
    this.schedule();
  }

  // With the real clock this makes expiry visible to watchers without any other operation; with a
  // test clock the timer fires now and then and finds nothing due until the test advances the clock.
  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.expiring.size === 0 || this.closed) return;
    let next = Infinity;
    for (const k of this.expiring) next = Math.min(next, this.state.get(k)!.expiresAt!);
    const delay = Math.min(Math.max(next - this.clock.now(), 5), 60_000);
    this.timer = setTimeout(() => this.expireDue(), delay);
    this.timer.unref();
  }
}

function matches(filter: { prefix: string; exact: boolean }, key: string): boolean {
  return filter.exact ? key === filter.prefix : key.startsWith(filter.prefix);
}

function toEvent(record: LogRecord): RawEvent {
  const prevKv = record.prev ? publicKv(record.prev) : undefined;
  if (record.next) return { type: 'put', kv: publicKv(record.next), prevKv };
  const kv = {
    key: record.key,
    value: Buffer.alloc(0),
    createRevision: '0',
    modRevision: String(record.revision),
  };
  return { type: 'delete', kv, prevKv };
}

// A copy, so no caller can change what the store holds.
function publicKv(e: Entry): RawKv {
  return {
    key: e.key,
    value: Buffer.from(e.value),
    createRevision: e.createRevision,
    modRevision: e.modRevision,
  };
}

function refused(current: Entry | undefined): Refused {
  return { ok: false, current: current && publicKv(current) };
}

// etcd orders keys by bytes; for the ASCII keys of Kubernetes (DNS names) that is string order.
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
