/**
 * The Storage interface on any Kv (etcd or the memory model): argument checks, the value codec,
 * errors that name the key, list paging with kube-apiserver's continue tokens, and the mapping of
 * raw etcd events to ADDED/MODIFIED/DELETED as kube-apiserver's etcd3 watcher does it.
 */
import { decodeValue, encodeValue } from './codec.js';
import { decodeContinue, encodeContinue } from './continue.js';
import {
  AlreadyExistsError,
  ConflictError,
  ExpiredError,
  InvalidArgumentError,
  NotFoundError,
} from './errors.js';
import { checkKey, checkTtl, listPrefix, parseRevision } from './keys.js';
import type { Kv, RawEvent, RawKv } from './kv.js';
import type {
  CreateOptions,
  DeletedObject,
  DeleteOptions,
  KubeObject,
  ListOptions,
  ListResult,
  Storage,
  StorageEvent,
  StoredObject,
  UpdateOptions,
  WatchOptions,
} from './types.js';

// kube-apiserver grows the page it reads while a filter rejects most keys, up to this many.
const MAX_PAGE = 10_000;

/** Storage on a Kv; the back ends are this class with their Kv (memory.ts, etcd.ts). */
export class KvStorage implements Storage {
  constructor(protected readonly kv: Kv) {}

  async get(key: string): Promise<StoredObject | undefined> {
    checkKey(key);
    const res = await this.kv.range({ prefix: key, exact: true });
    return res.kvs[0] && stored(res.kvs[0]);
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const p = listPrefix(prefix);
    const limit = opts.limit ?? 0;
    if (!Number.isInteger(limit) || limit < 0)
      throw new InvalidArgumentError(`limit must be a whole number ≥ 0, not ${limit}`);
    let revision = opts.revision;
    if (revision !== undefined) parseRevision(revision, 'list revision');
    let from: string | undefined;
    if (opts.continue) {
      const token = decodeContinue(p, opts.continue);
      if (revision !== undefined && revision !== token.revision) {
        throw new InvalidArgumentError('specifying resource version is not allowed when using continue');
      }
      ({ from, revision } = token);
    }
    const keep = opts.filter ?? (() => true);
    const items: StoredObject[] = [];
    let page = limit;
    for (;;) {
      // The first range fixes the revision; every later page reads at it, so pages are consistent.
      const res = await this.kv.range({ prefix: p, from, limit: page, revision });
      revision = res.revision;
      for (let i = 0; i < res.kvs.length; i++) {
        const item = stored(res.kvs[i]!);
        if (!keep(item.object)) continue;
        items.push(item);
        if (limit > 0 && items.length === limit) {
          const more = i < res.kvs.length - 1 || res.more;
          if (!more) return { items, revision };
          return {
            items,
            revision,
            continue: encodeContinue(p, `${item.key}\0`, revision),
            remainingItemCount: opts.filter ? undefined : res.count - (i + 1),
          };
        }
      }
      if (!res.more || res.kvs.length === 0) return { items, revision };
      from = `${res.kvs[res.kvs.length - 1]!.key}\0`;
      page = Math.min(page * 2, MAX_PAGE);
    }
  }

  async create<T extends KubeObject>(
    key: string,
    object: T,
    opts: CreateOptions = {},
  ): Promise<StoredObject> {
    checkKey(key);
    const ttl = checkTtl(opts.ttlSeconds);
    // apiserver storage/etcd3/store.go Create: ErrResourceVersionSetOnCreate.
    if (object?.metadata?.resourceVersion) {
      throw new InvalidArgumentError(`${key}: resourceVersion should not be set on objects to be created`);
    }
    const value = encodeValue(key, object);
    const res = await this.kv.create(key, value, ttl);
    if (!res.ok) throw new AlreadyExistsError(key);
    return { key, object: decodeValue(key, value, res.revision), revision: res.revision };
  }

  async update<T extends KubeObject>(key: string, object: T, opts: UpdateOptions): Promise<StoredObject> {
    checkKey(key);
    parseRevision(opts?.expectedRevision, 'expectedRevision');
    const ttl = checkTtl(opts.ttlSeconds);
    const value = encodeValue(key, object);
    const res = await this.kv.update(key, value, opts.expectedRevision, ttl);
    if (!res.ok) {
      if (!res.current) throw new NotFoundError(key);
      throw new ConflictError(key, opts.expectedRevision, res.current.modRevision);
    }
    return { key, object: decodeValue(key, value, res.revision), revision: res.revision };
  }

  async delete(key: string, opts: DeleteOptions = {}): Promise<DeletedObject> {
    checkKey(key);
    if (opts.expectedRevision !== undefined) parseRevision(opts.expectedRevision, 'expectedRevision');
    const res = await this.kv.delete(key, opts.expectedRevision);
    if (!res.ok) {
      if (!res.current) throw new NotFoundError(key);
      throw new ConflictError(key, opts.expectedRevision!, res.current.modRevision);
    }
    return { ...stored(res.prev), deletedRevision: res.revision };
  }

  watch(key: string, opts: WatchOptions): AsyncIterable<StorageEvent> {
    const recursive = opts?.recursive ?? true;
    const prefix = recursive ? listPrefix(key) : checkKey(key);
    parseRevision(opts?.fromRevision, 'fromRevision');
    if (!(opts.signal instanceof AbortSignal)) throw new InvalidArgumentError('a watch needs an AbortSignal');
    const events = this.kv.watch(prefix, !recursive, opts.fromRevision, opts.signal);
    return (async function* () {
      for await (const e of events) yield toStorageEvent(e);
    })();
  }

  currentRevision(): Promise<string> {
    return this.kv.currentRevision();
  }

  async compact(revision: string): Promise<void> {
    parseRevision(revision, 'compact revision');
    await this.kv.compact(revision);
  }

  close(): Promise<void> {
    return this.kv.close();
  }
}

function stored(kv: RawKv): StoredObject {
  return { key: kv.key, object: decodeValue(kv.key, kv.value, kv.modRevision), revision: kv.modRevision };
}

// apiserver storage/etcd3/event.go parseEvent and watcher.go: a put whose create and mod revisions
// are equal created the key; a delete carries the previous value at the deletion's revision.
function toStorageEvent(e: RawEvent): StorageEvent {
  const { key, modRevision } = e.kv;
  if (e.type === 'put') {
    const type = e.kv.createRevision === modRevision ? 'ADDED' : 'MODIFIED';
    return { type, key, object: decodeValue(key, e.kv.value, modRevision), revision: modRevision };
  }
  if (!e.prevKv) {
    // etcd lost the previous value to compaction: the object cannot be sent, the client must relist.
    throw new ExpiredError(modRevision, undefined, `deletion of ${key} (its last state is compacted)`);
  }
  return {
    type: 'DELETED',
    key,
    object: decodeValue(key, e.prevKv.value, modRevision),
    revision: modRevision,
  };
}
