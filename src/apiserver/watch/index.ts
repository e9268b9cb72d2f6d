/** Watches: the per-resource watch cache, its registry of caches, and one client's event stream. */
export { WatchCache, type CacheEvent, type CacheSubscriber, type WatchCacheOptions } from './cache.js';
export { WatchCaches, type WatchCachesOptions } from './caches.js';
export { TrackedStorage } from './tracked-storage.js';
export { CacheStore, type IndexFunc } from './store.js';
export { openWatch, type WatchRequest } from './watcher.js';
export { frameEvent, bookmarkObject, type WatchEventType } from './framing.js';
