/**
 * The key-value layer under Storage: the handful of etcd operations kube-apiserver's storage uses
 * (range, the three compare-and-swap writes, watch, compact), on raw bytes. etcd-kv.ts speaks them
 * to etcd; memory-kv.ts is a small model of etcd's MVCC store. kv-storage.ts builds the Storage
 * interface on top once, so both back ends share the codec, paging and event mapping and can only
 * differ where the conformance suite would notice.
 */

/** One key's state at some revision. */
export interface RawKv {
  key: string;
  value: Buffer;
  createRevision: string;
  modRevision: string;
}

export interface RangeRequest {
  /** Keys that start with this (already ending in '/'), or exactly `key` when `exact`. */
  prefix: string;
  exact?: boolean;
  /** Start at this key (inclusive; itself under prefix). */
  from?: string;
  /** At most this many keys; 0 or absent: all. */
  limit?: number;
  /** Read at this revision; absent: the current one. */
  revision?: string;
}

export interface RangeResult {
  kvs: RawKv[];
  /** More keys follow the returned ones in the range. */
  more: boolean;
  /** All keys in the range from `from` on, returned or not. */
  count: number;
  /** The revision read at. */
  revision: string;
}

/** A write that did not happen, and why: the key's current state (undefined: absent). */
export interface Refused {
  ok: false;
  current: RawKv | undefined;
}

export type WriteResult = { ok: true; revision: string } | Refused;
export type DeleteResult = { ok: true; revision: string; prev: RawKv } | Refused;

export interface RawEvent {
  type: 'put' | 'delete';
  /** put: the new state. delete: key and modRevision (the deletion's revision) only. */
  kv: RawKv;
  /** The state before the event, when the back end still has it (etcd loses it to compaction). */
  prevKv?: RawKv;
}

export interface Kv {
  range(req: RangeRequest): Promise<RangeResult>;
  /** Puts only if the key does not exist (etcd: create_revision == 0). */
  create(key: string, value: Buffer, ttlSeconds?: number): Promise<WriteResult>;
  /** Puts only if the key's mod revision is expected; without ttlSeconds the key keeps its lease. */
  update(key: string, value: Buffer, expected: string, ttlSeconds?: number): Promise<WriteResult>;
  /** Deletes (only if the mod revision is expected, when given), returning the previous state. */
  delete(key: string, expected?: string): Promise<DeleteResult>;
  /** Events with revision > fromRevision; ends when signal aborts; throws EXPIRED/UNAVAILABLE. */
  watch(prefix: string, exact: boolean, fromRevision: string, signal: AbortSignal): AsyncIterable<RawEvent>;
  currentRevision(): Promise<string>;
  compact(revision: string): Promise<void>;
  close(): Promise<void>;
}
