/**
 * LIST from the resource's watch cache, where kube-apiserver's cacher serves it (cacher.GetList
 * with shouldDelegateList): resourceVersion=0 (limit ignored) and "not older than N" without limit
 * or continue. Everything else — consistent reads (no resourceVersion), Exact, paging — reads etcd.
 * The cache answers once it has every write this server made under the resource (so a client reads
 * its own writes) and, for N, has reached N; otherwise the list goes to storage as before.
 */
import type { ListQuery } from '../router.js';
import { parseFieldSelector } from '../selectors/index.js';
import type { KubeObject } from '../storage/index.js';
import { jsonOf } from '../watch/json.js';
import { respond } from './content.js';
import type { Scope } from './context.js';
import { apiVersionOf, prefixOf, served } from './objects.js';
import { toTable } from './table.js';
import type { ApiResponse } from './types.js';

/** How long a list waits for the cache to catch up with this server's writes before reading etcd. */
const FRESH_WAIT_MS = 3000;

/** Whether kube-apiserver would serve this list from its watch cache. */
export function servedFromCache(q: ListQuery): boolean {
  const rv = q.resourceVersion;
  if (rv === '0') return true;
  return rv !== undefined && q.resourceVersionMatch !== 'Exact' && !q.continue && !q.limit;
}

/** The list from the watch cache, or undefined when storage must answer it. */
export async function listFromCache(
  scope: Scope,
  q: ListQuery,
  filter: (o: KubeObject) => boolean,
): Promise<ApiResponse | undefined> {
  const { resource } = scope;
  const cache = scope.ctx.caches(scope.storage).get(prefixOf(resource, ''));
  try {
    await cache.whenReady();
  } catch {
    return undefined;
  }
  if (!(await cache.fresh(FRESH_WAIT_MS))) return undefined;
  const rv = q.resourceVersion!;
  if (rv !== '0' && cache.currentRevision() < BigInt(rv)) return undefined;
  const revision = cache.currentRevision().toString();
  const keyPrefix = scope.namespace ? `${prefixOf(resource, scope.namespace)}/` : '';
  const objects = cache
    .list(
      keyPrefix,
      indexFor(scope, q, (f) => cache.hasIndex(f)),
    )
    .filter(filter);
  const meta = { resourceVersion: revision };
  const out = scope.output;
  if (out.kind === 'json' && !out.pretty && !resource.storageApiVersion) {
    // The objects are the cache's own, so their JSON text is shared with watchers and other lists.
    const head = JSON.stringify({
      kind: resource.listKind,
      apiVersion: apiVersionOf(resource),
      metadata: meta,
    });
    const body = `${head.slice(0, -1)},"items":[${objects.map(jsonOf).join(',')}]}\n`;
    return { status: 200, headers: { 'Content-Type': 'application/json' }, body };
  }
  const items = objects.map((o) => served(resource, o));
  if (out.kind === 'table') return respond(200, toTable(resource, items, meta, q.includeObject), out);
  return respond(
    200,
    { kind: resource.listKind, apiVersion: apiVersionOf(resource), metadata: meta, items },
    out,
  );
}

// An equality on an indexed field (pods' spec.nodeName) narrows the list to that index entry; the
// index files no empty value, so `spec.nodeName=` (unscheduled pods) scans.
function indexFor(
  scope: Scope,
  q: ListQuery,
  indexed: (field: string) => boolean,
): { name: string; value: string } | undefined {
  if (!q.fieldSelector) return undefined;
  const req = parseFieldSelector(q.fieldSelector, scope.resource).requirements.find(
    (r) => r.operator === '=' && r.value !== '' && indexed(r.field),
  );
  return req && { name: req.field, value: req.value };
}
