/**
 * Custom resources follow their CRDs: the registry is re-synced from the stored CRDs when the
 * server starts, after every CRD write through this server (so a CR can be created right after
 * its CRD, as `kubectl apply -f dir/` does), and on every CRD event another writer causes.
 */
import { isStorageError } from '../storage/index.js';
import type { ServerContext } from './context.js';

const CRD_PREFIX = '/registry/apiextensions.k8s.io/customresourcedefinitions';

/** Re-reads the CRDs from storage into the registry. */
export async function syncCrds(ctx: ServerContext): Promise<void> {
  try {
    const res = await ctx.storage.list(CRD_PREFIX);
    ctx.registry.syncCustomResources(res.items.map((i) => i.object));
  } catch (e) {
    if (!isStorageError(e, 'UNAVAILABLE')) throw e;
  }
}

/** Keeps the registry in sync with CRD changes made by other servers on the same storage. */
export function followCrds(ctx: ServerContext): void {
  const cache = ctx.caches(ctx.storage).get(CRD_PREFIX);
  let pending: Promise<void> | undefined;
  const resync = () => {
    pending ??= syncCrds(ctx)
      .catch((e) => ctx.log(`CRD sync failed: ${(e as Error).message}`))
      .finally(() => (pending = undefined));
  };
  void cache
    .whenReady()
    .then(() => {
      if (ctx.signal.aborted) return;
      const sub = { onEvent: resync, onTerminate: () => {} };
      cache.subscribe(sub, cache.currentRevision());
      ctx.signal.addEventListener('abort', () => cache.unsubscribe(sub), { once: true });
    })
    .catch((e) => ctx.log(`CRD watch failed: ${(e as Error).message}`));
}
