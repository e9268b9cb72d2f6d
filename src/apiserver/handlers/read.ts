/**
 * GET of one object and LIST, with kube-apiserver's resourceVersion semantics for lists
 * (reference §3.2/3.4): unset = a consistent read now, `0` = any (from the watch cache, limit
 * ignored; cached-list.ts), `N` = not older than N (a future N waits up to 3 s, then 504 ResourceVersionTooLarge),
 * `N` with resourceVersionMatch=Exact = at exactly N (410 once compacted). limit/continue page
 * through storage's consistent snapshots; selectors filter while paging so pages stay full.
 */
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from '../selectors/index.js';
import { parseListQuery, type ListQuery } from '../router.js';
import { Errors } from '../status.js';
import { isStorageError, type KubeObject } from '../storage/index.js';
import { listFromCache, servedFromCache } from './cached-list.js';
import { respond } from './content.js';
import type { Scope } from './context.js';
import { apiVersionOf, prefixOf, readObject, served, type Obj } from './objects.js';
import { toTable } from './table.js';
import type { ApiResponse } from './types.js';

/** GET of one object (or its status, which is the same object). */
export async function getObject(scope: Scope): Promise<ApiResponse> {
  const { object } = await readObject(scope);
  if (scope.output.kind === 'table') {
    return respond(
      200,
      toTable(
        scope.resource,
        [object],
        { resourceVersion: object.metadata?.resourceVersion },
        tableInclude(scope),
      ),
      scope.output,
    );
  }
  return respond(200, object, scope.output);
}

function tableInclude(scope: Scope): string {
  return scope.info.query.get('includeObject') || 'Metadata';
}

/** The selection of a list or watch: labels, fields, and the name when the path has one. */
export function selection(scope: Scope, q: ListQuery): (o: KubeObject) => boolean {
  const labels = parseLabelSelector(q.labelSelector);
  const fields = parseFieldSelector(q.fieldSelector, scope.resource);
  const info = scope.resource;
  const convert = info.storageApiVersion ? (o: KubeObject) => served(info, o) : (o: KubeObject) => o as Obj;
  return (stored) => {
    const o = convert(stored);
    return matchesLabels(labels, o.metadata?.labels) && matchesFields(fields, o, info);
  };
}

/** LIST: a `<Kind>List` (or a Table for kubectl get). */
export async function listObjects(scope: Scope): Promise<ApiResponse> {
  const q = parseListQuery(scope.info.query);
  const filter = selection(scope, q);
  if (servedFromCache(q)) {
    const cached = await listFromCache(scope, q, filter);
    if (cached) return cached;
  }
  const rv = q.resourceVersion;
  let revision: string | undefined;
  let limit = q.limit;
  if (rv === '0') {
    limit = undefined;
  } else if (rv !== undefined && q.resourceVersionMatch === 'Exact') {
    revision = rv;
  } else if (rv !== undefined && !q.continue) {
    await waitNotOlderThan(scope, rv);
  }
  let res;
  try {
    res = await scope.storage.list(prefixOf(scope.resource, scope.namespace), {
      limit,
      continue: q.continue,
      revision,
      filter,
    });
  } catch (e) {
    if (isStorageError(e, 'EXPIRED')) {
      throw Errors.expired(
        q.continue
          ? 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.'
          : `The resourceVersion for the provided list is too old.`,
      );
    }
    if (isStorageError(e, 'INVALID_ARGUMENT') && q.continue)
      throw Errors.badRequest(`continue key is not valid: ${e.message}`);
    throw e;
  }
  const meta: Record<string, unknown> = { resourceVersion: res.revision };
  if (res.continue) meta.continue = res.continue;
  if (res.remainingItemCount !== undefined) meta.remainingItemCount = res.remainingItemCount;
  const items = res.items.map((i) => served(scope.resource, i.object));
  if (scope.output.kind === 'table')
    return respond(200, toTable(scope.resource, items, meta, q.includeObject), scope.output);
  return respond(
    200,
    { kind: scope.resource.listKind, apiVersion: apiVersionOf(scope.resource), metadata: meta, items },
    scope.output,
  );
}

// "Not older than N": the store must have reached N; the cacher waits up to 3 s for that.
async function waitNotOlderThan(scope: Scope, rv: string): Promise<void> {
  const wanted = BigInt(rv);
  const deadline = Date.now() + 3000;
  for (;;) {
    const current = await scope.storage.currentRevision();
    if (BigInt(current) >= wanted) return;
    if (Date.now() > deadline) {
      throw Errors.timeout(`Too large resource version: ${rv}, current: ${current}`, 1, [
        { reason: 'ResourceVersionTooLarge', message: 'Too large resource version' },
      ]);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
