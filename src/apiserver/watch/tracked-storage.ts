/**
 * A Storage that reports every write it commits (key and revision), so the watch caches of the
 * same server know which revision a read must wait for to see that server's own writes.
 */
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
} from '../storage/index.js';

export class TrackedStorage implements Storage {
  constructor(
    readonly inner: Storage,
    private readonly onWrite: (key: string, revision: string) => void,
  ) {}

  get(key: string): Promise<StoredObject | undefined> {
    return this.inner.get(key);
  }

  list(prefix: string, opts?: ListOptions): Promise<ListResult> {
    return this.inner.list(prefix, opts);
  }

  async create<T extends KubeObject>(key: string, object: T, opts?: CreateOptions): Promise<StoredObject> {
    const res = await this.inner.create(key, object, opts);
    this.onWrite(key, res.revision);
    return res;
  }

  async update<T extends KubeObject>(key: string, object: T, opts: UpdateOptions): Promise<StoredObject> {
    const res = await this.inner.update(key, object, opts);
    this.onWrite(key, res.revision);
    return res;
  }

  async delete(key: string, opts?: DeleteOptions): Promise<DeletedObject> {
    const res = await this.inner.delete(key, opts);
    this.onWrite(key, res.deletedRevision);
    return res;
  }

  watch(key: string, opts: WatchOptions): AsyncIterable<StorageEvent> {
    return this.inner.watch(key, opts);
  }

  currentRevision(): Promise<string> {
    return this.inner.currentRevision();
  }

  compact(revision: string): Promise<void> {
    return this.inner.compact(revision);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
