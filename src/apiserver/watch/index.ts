/** Watches: the per-resource watch cache, its registry of caches, and one client's event stream. */
export { WatchCache, type CacheEvent, type CacheSubscriber, type WatchCacheOptions } from './cache.js';
export { WatchCaches, type WatchCachesOptions } from './caches.js';
export { openWatch, type WatchRequest } from './watcher.js';
export { frameEvent, bookmarkObject, type WatchEventType } from './framing.js';
