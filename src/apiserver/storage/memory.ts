/**
 * The memory back end: etcd's semantics without etcd, for unit tests, rehearsals and the events a
 * bootstrap-mode shim keeps to itself. Revisions, compare-and-swap, history, compaction and TTLs
 * behave as on etcd; the shared conformance suite holds both to that.
 */
import type { RawKv } from './kv.js';
import { KvStorage } from './kv-storage.js';
import { MemoryKv, type MemoryKvOptions } from './memory-kv.js';

export type { Clock } from './memory-kv.js';
export type MemoryStorageOptions = MemoryKvOptions;

export class MemoryStorage extends KvStorage {
  private readonly memory: MemoryKv;

  constructor(opts: MemoryStorageOptions = {}) {
    const kv = new MemoryKv(opts);
    super(kv);
    this.memory = kv;
  }

  /** The bytes stored under key and its revisions, as `etcdctl get -w json` shows them. */
  getRaw(key: string): RawKv | undefined {
    return this.memory.getRaw(key);
  }

  /** Stores bytes as they are, bypassing the codec (as an etcdctl put would); returns the revision. */
  putRaw(key: string, value: Buffer): string {
    return this.memory.putRaw(key, value);
  }
}
