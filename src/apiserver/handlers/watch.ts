/**
 * WATCH: newline-delimited JSON events from the resource's watch cache (reference §3). The
 * response is 200 with headers sent at once; start failures a cacher reports in-band (too old →
 * an ERROR event with a 410 Expired Status, which client-go and the JavaScript client both turn
 * into a relist) are events too.
 */
import { parseListQuery } from '../router.js';
import { Errors } from '../status.js';
import type { KubeObject } from '../storage/index.js';
import { openWatch, type WatchEventType } from '../watch/index.js';
import type { Scope } from './context.js';
import { apiVersionOf, keyOf, prefixOf, served } from './objects.js';
import { selection } from './read.js';
import { toTable } from './table.js';
import type { ApiResponse } from './types.js';

/** The watch of a resource (all namespaces, one, or one object by path name). */
export async function watchObjects(scope: Scope, signal: AbortSignal): Promise<ApiResponse> {
  const q = parseListQuery(scope.info.query, true);
  const filter = selection(scope, q);
  const { ctx, resource } = scope;
  const cache = ctx.caches(scope.storage).get(prefixOf(resource, ''));
  // The deprecated /watch/…/<name> path watches one object: its key is the prefix.
  const keyPrefix =
    scope.info.name && scope.info.parts[1] === scope.info.name && !q.fieldSelector
      ? keyOf(scope)
      : scope.namespace
        ? `${prefixOf(resource, scope.namespace)}/`
        : '';
  const exactKey = keyPrefix && !keyPrefix.endsWith('/') ? keyPrefix : undefined;
  const table = scope.output.kind === 'table';
  const transform = (object: KubeObject, type: WatchEventType): unknown => {
    if (type === 'BOOKMARK' || type === 'ERROR') return object;
    const o = served(resource, object);
    return table
      ? toTable(resource, [o], { resourceVersion: o.metadata?.resourceVersion }, q.includeObject)
      : o;
  };
  const timeoutSeconds =
    q.timeoutSeconds ?? Math.round(ctx.watch.defaultTimeoutSeconds * (1 + Math.random()));
  const stream = await openWatch({
    cache,
    resourceVersion: q.resourceVersion,
    keyPrefix: exactKey ? '' : keyPrefix,
    filter: exactKey ? (o) => o.metadata?.name === scope.info.name && filter(o) : filter,
    transform,
    asStored: !table && !resource.storageApiVersion,
    bookmarks: q.allowWatchBookmarks
      ? { apiVersion: apiVersionOf(resource), kind: resource.kind }
      : undefined,
    bookmarkIntervalMs: ctx.watch.bookmarkIntervalMs,
    timeoutMs: timeoutSeconds * 1000,
    maxBufferedBytes: ctx.watch.maxBufferedBytes,
    signal,
    storageRevision: () => scope.storage.currentRevision(),
    tooOld: (rv, oldest) => Errors.expired(`too old resource version: ${rv} (${oldest})`).status,
    tooLarge: (rv, current) =>
      Errors.timeout(`Too large resource version: ${rv}, current: ${current}`, 1, [
        { reason: 'ResourceVersionTooLarge', message: 'Too large resource version' },
      ]).status,
    log: ctx.log,
  });
  return {
    status: 200,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' },
    stream,
  };
}
