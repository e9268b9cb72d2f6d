/**
 * What admission reads (the namespace of a create, a pod's priority classes and service account,
 * NodeRestriction's pod and node): kube-apiserver's plugins read these from informer listers, here
 * from the resources' watch caches. A cache that does not hold this server's latest write under the
 * resource yet, or does not have the object, sends the read to storage, so nothing written a moment
 * ago (here or, for a miss, elsewhere) is overlooked. What comes back is shared: never mutate it.
 */
import type { KubeObject, Storage } from '../storage/index.js';
import type { ServerContext } from './context.js';

/** How long a lookup waits for a cache to hold this server's last write before reading storage. */
const FRESH_WAIT_MS = 1000;

/** The object at key under the resource prefix, or undefined. */
export async function cachedGet(
  ctx: ServerContext,
  storage: Storage,
  prefix: string,
  key: string,
): Promise<KubeObject | undefined> {
  const cache = ctx.caches(storage).get(prefix);
  if (cache.isReady() && (await cache.fresh(FRESH_WAIT_MS))) {
    const object = cache.get(key);
    if (object) return object;
  }
  return (await storage.get(key))?.object;
}

/** Every object under the resource prefix. */
export async function cachedList(
  ctx: ServerContext,
  storage: Storage,
  prefix: string,
): Promise<KubeObject[]> {
  const cache = ctx.caches(storage).get(prefix);
  if (cache.isReady() && (await cache.fresh(FRESH_WAIT_MS))) return cache.list('');
  return (await storage.list(prefix)).items.map((i) => i.object);
}
