/**
 * The storage interface of the API server (DESIGN.md §4): kube-apiserver's etcd semantics, served
 * by etcd itself or by an in-memory model of it. The registry above builds keys
 * (`/registry/<prefix>/[<namespace>/]<name>`) and objects; storage only keeps them.
 *
 * Revisions are decimal strings, as Kubernetes serves resourceVersion: etcd revisions are int64,
 * which a JavaScript number does not hold exactly, and the handlers pass them through as text.
 */

/**
 * The fields of an object that storage reads or writes; everything else is carried through as it
 * is. Writes take any `T extends KubeObject`, so typed models (V1Pod) and literals with more fields
 * both fit; reads return KubeObject for the registry to narrow.
 */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  /** Never stored: set from the key's etcd mod revision on every read and on what writes return. */
  resourceVersion?: string;
}

/** An object read from storage, with `object.metadata.resourceVersion === revision`. */
export interface StoredObject {
  key: string;
  object: KubeObject;
  /** The key's mod revision: the object's resourceVersion. */
  revision: string;
}

/** What delete() returns: the object as it was (its own resourceVersion, as kube-apiserver returns it). */
export interface DeletedObject extends StoredObject {
  /** The revision of the deletion itself (what a watch's DELETED event carries). */
  deletedRevision: string;
}

export interface ListOptions {
  /** At most this many items; the result has a `continue` token when more remain. */
  limit?: number;
  /** A token from a previous page: the list goes on at that page's revision, after its last key. */
  continue?: string;
  /** Read at this exact revision (EXPIRED if compacted, REVISION_TOO_LARGE if in the future); default: now. */
  revision?: string;
  /**
   * Keeps only matching items, filling each page up to `limit` like kube-apiserver does for
   * selectors. Without it a page of `limit` keys may hold few or no matches.
   */
  filter?: (object: KubeObject) => boolean;
}

export interface ListResult {
  items: StoredObject[];
  /** The revision the list was read at: the list's resourceVersion. */
  revision: string;
  /** Token for the next page, when there is one. */
  continue?: string;
  /** How many keys follow this page (only without a filter, as kube-apiserver reports it). */
  remainingItemCount?: number;
}

export interface CreateOptions {
  /** The key is deleted this many seconds after the write (an etcd lease; events use 3600). */
  ttlSeconds?: number;
}

export interface UpdateOptions {
  /** Compare-and-swap: the write happens only if the key's mod revision is still this one. */
  expectedRevision: string;
  /** A new TTL; without it the key keeps the lease (and expiry) it had. */
  ttlSeconds?: number;
}

export interface DeleteOptions {
  /** When set, the delete happens only if the key's mod revision is still this one. */
  expectedRevision?: string;
}

export interface WatchOptions {
  /**
   * Events strictly after this revision (a list's revision, or the last event's). '0' replays all
   * history still kept; it does not mean "from now" as resourceVersion=0 does for a client: the
   * handler resolves that (and "") to a list first.
   */
  fromRevision: string;
  /** Aborting ends the iteration cleanly (the iterator returns). */
  signal: AbortSignal;
  /** true (default): the key is a prefix ('/' appended), as for list; false: this key only. */
  recursive?: boolean;
}

export type StorageEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StorageEvent {
  type: StorageEventType;
  key: string;
  /** ADDED/MODIFIED: the new state. DELETED: the last state, with resourceVersion = the deletion revision. */
  object: KubeObject;
  /** The event's revision: the object's resourceVersion. */
  revision: string;
}

/**
 * One storage back end. Every method throws only StorageError subclasses (errors.ts). Values are
 * JSON objects with apiVersion and kind; a value that is not (protobuf, encrypted) fails with
 * UNREADABLE_VALUE naming the key, wherever it is met.
 */
export interface Storage {
  /** The object under key, or undefined. */
  get(key: string): Promise<StoredObject | undefined>;
  /** The objects under prefix ('/' appended if missing, so `/pods/def` never matches `/pods/default/…`), in key order. */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** Writes a new key; ALREADY_EXISTS if it exists. The object must carry no resourceVersion other than ''. */
  create<T extends KubeObject>(key: string, object: T, opts?: CreateOptions): Promise<StoredObject>;
  /** Compare-and-swap on the mod revision: CONFLICT if the key changed, NOT_FOUND if it is gone. */
  update<T extends KubeObject>(key: string, object: T, opts: UpdateOptions): Promise<StoredObject>;
  /** Deletes and returns the last state: NOT_FOUND if absent, CONFLICT if expectedRevision is stale. */
  delete(key: string, opts?: DeleteOptions): Promise<DeletedObject>;
  /**
   * Events after opts.fromRevision, in revision order, ADDED/MODIFIED/DELETED. Throws EXPIRED if
   * that revision is compacted (the 410 that makes clients relist), UNAVAILABLE if etcd goes away.
   */
  watch(key: string, opts: WatchOptions): AsyncIterable<StorageEvent>;
  /** The store's revision now (what a list at this moment would report). */
  currentRevision(): Promise<string>;
  /** Discards history before revision: later reads, lists and watches from before it get EXPIRED. */
  compact(revision: string): Promise<void>;
  /** Ends every watch (cleanly) and releases connections; later calls fail with UNAVAILABLE. */
  close(): Promise<void>;
}
