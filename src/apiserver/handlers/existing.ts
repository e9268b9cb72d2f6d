/**
 * The object an update or patch starts from. Like kube-apiserver, whose cacher hands
 * GuaranteedUpdate the watch cache's copy (cachedExistingObject) and reads etcd only when that copy
 * proves stale, the first attempt reads the resource's watch cache: the compare-and-swap on its
 * revision still decides, and a conflict, a failed resourceVersion precondition or a no-op on the
 * cached copy re-reads storage before anything is answered.
 */
import type { StoredObject } from '../storage/index.js';
import type { Scope } from './context.js';
import { keyOf, prefixOf, readObject, served, type Obj } from './objects.js';

export interface Existing {
  object: Obj;
  stored: StoredObject;
  /** Read from the watch cache: it may be behind another server's write. */
  cached: boolean;
}

/** How long an update waits for the cache to hold this server's last write before reading etcd. */
const FRESH_WAIT_MS = 1000;

/** The stored object at the request's key: from the watch cache when `cache` and it has it, else storage (404 when absent). */
export async function readExisting(scope: Scope, cache: boolean): Promise<Existing> {
  if (cache && scope.resource.storagePrefix !== 'events') {
    const watchCache = scope.ctx.caches(scope.storage).get(prefixOf(scope.resource, ''));
    if (watchCache.isReady() && (await watchCache.fresh(FRESH_WAIT_MS))) {
      const key = keyOf(scope);
      const object = watchCache.get(key);
      const revision = object?.metadata?.resourceVersion;
      if (object && revision) {
        return { object: served(scope.resource, object), stored: { key, object, revision }, cached: true };
      }
    }
  }
  return { ...(await readObject(scope)), cached: false };
}

/** Thrown by commitUpdate when a cached copy must be confirmed against storage first. */
export class StaleCopy extends Error {
  constructor() {
    super('the cached copy may be stale');
  }
}
