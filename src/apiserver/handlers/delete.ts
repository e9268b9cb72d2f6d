/**
 * DELETE and DELETE-collection as the generic registry does them (apiserver
 * pkg/registry/generic/registry/store.go Delete, rest.BeforeDelete): preconditions on uid and
 * resourceVersion, graceful deletion of pods bound to a node (deletionTimestamp and
 * deletionGracePeriodSeconds set, the object stays until the kubelet's final delete with grace 0),
 * finalizers honoured (the object waits, marked, until they are gone), namespaces finalized.
 */
import { parseDeleteOptions, parseListQuery } from '../router.js';
import { Errors, successStatus, toApiError } from '../status.js';
import { isStorageError } from '../storage/index.js';
import { parseJson, respond } from './content.js';
import type { Scope } from './context.js';
import { deleteNamespace } from './namespace.js';
import { admitForNode, keyOf, prefixOf, readObject, served, toStored, type Obj } from './objects.js';
import { selection } from './read.js';
import type { ApiResponse } from './types.js';

// Registries that answer a delete with the object rather than a Status (ReturnDeletedObject).
const RETURNS_OBJECT = new Set([
  'pods',
  'serviceaccounts',
  'storageclasses',
  'namespaces',
  'customresourcedefinitions',
]);
const MAX_ATTEMPTS = 16;

function now(offsetSeconds = 0): string {
  return new Date(Date.now() + offsetSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** POST pods/<name>/eviction: a delete with the eviction's options (no disruption budgets are checked). */
export async function evictPod(scope: Scope): Promise<ApiResponse> {
  const body =
    scope.req.body && scope.req.body.length > 0
      ? (parseJson(scope.req.body) as Record<string, unknown>)
      : undefined;
  const opts = parseDeleteOptions(
    (body?.deleteOptions as Record<string, unknown> | undefined) ?? undefined,
    new URLSearchParams(),
  );
  await deleteOne({ ...scope, info: { ...scope.info, subresource: '' } }, scope.name, opts);
  return respond(
    201,
    { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 },
    scope.output,
  );
}

export async function deleteObject(scope: Scope): Promise<ApiResponse> {
  const body =
    scope.req.body && scope.req.body.length > 0
      ? (parseJson(scope.req.body) as Record<string, unknown>)
      : undefined;
  const opts = parseDeleteOptions(body, scope.info.query);
  return deleteOne(scope, scope.name, opts);
}

async function deleteOne(
  scope: Scope,
  name: string,
  opts: ReturnType<typeof parseDeleteOptions>,
): Promise<ApiResponse> {
  const { resource: info } = scope;
  const s: Scope = { ...scope, name };
  for (let attempt = 1; ; attempt++) {
    const existing = await readObject(s);
    const obj = existing.object;
    const meta = obj.metadata ?? {};
    const kindGr = { group: info.group, kind: info.kind };
    if (opts.preconditions?.uid && opts.preconditions.uid !== meta.uid) {
      throw Errors.conflict(
        kindGr,
        name,
        `the UID in the precondition (${opts.preconditions.uid}) does not match the UID in record (${meta.uid}). The object might have been deleted and then recreated`,
      );
    }
    if (
      opts.preconditions?.resourceVersion &&
      opts.preconditions.resourceVersion !== existing.stored.revision
    ) {
      throw Errors.conflict(
        kindGr,
        name,
        `the ResourceVersion in the precondition (${opts.preconditions.resourceVersion}) does not match the ResourceVersion in record (${existing.stored.revision}). The object might have been modified`,
      );
    }
    await admitForNode(s, { operation: 'delete', oldObject: obj });
    try {
      if (info.group === '' && info.plural === 'namespaces') {
        return respond(200, await deleteNamespace(s, obj, existing.stored.revision), scope.output);
      }
      const marked = markForDeletion(
        info.group === '' && info.plural === 'pods',
        obj,
        opts.gracePeriodSeconds,
      );
      if (marked === 'pending') return respond(200, obj, scope.output);
      if (marked) {
        if (opts.dryRun) return respond(200, marked, scope.output);
        const stored = await s.storage.update(keyOf(s), toStored(info, marked), {
          expectedRevision: existing.stored.revision,
        });
        return respond(200, served(info, stored.object), scope.output);
      }
      if (opts.dryRun)
        return respond(
          200,
          RETURNS_OBJECT.has(info.plural)
            ? obj
            : successStatus({ name, group: info.group, kind: info.plural, uid: meta.uid }),
          scope.output,
        );
      const gone = await s.storage.delete(keyOf(s), { expectedRevision: existing.stored.revision });
      const last = served(info, { ...gone.object });
      return respond(
        200,
        RETURNS_OBJECT.has(info.plural)
          ? last
          : successStatus({ name, group: info.group, kind: info.plural, uid: meta.uid }),
        scope.output,
      );
    } catch (e) {
      // The object changed between the read and the write: decide again on the new state.
      if (isStorageError(e, 'CONFLICT') && attempt < MAX_ATTEMPTS) continue;
      if (isStorageError(e, 'NOT_FOUND')) throw Errors.notFound(scope.gr, name);
      throw toApiError(e, scope.gr, name);
    }
  }
}

/**
 * What a delete does before (or instead of) removing the object: undefined = remove it now,
 * 'pending' = a graceful deletion already runs and this one does not shorten it, an object = the
 * update to write (graceful deletion started or shortened, or deletion waiting for finalizers).
 */
function markForDeletion(
  isPod: boolean,
  obj: Obj,
  requested: number | undefined,
): Obj | 'pending' | undefined {
  const meta = obj.metadata ?? {};
  const finalizers: string[] = meta.finalizers ?? [];
  let grace = requested !== undefined && requested < 0 ? 1 : requested;
  if (meta.deletionTimestamp) {
    const current: number | undefined = meta.deletionGracePeriodSeconds;
    if (current === undefined || current === 0) return finalizers.length ? 'pending' : undefined;
    if (grace === undefined || grace >= current) return 'pending';
    // Only a shorter grace period is taken; the timestamp moves back by the difference.
    const moved = Date.parse(meta.deletionTimestamp) - (current - grace) * 1000;
    const ts = moved < Date.now() ? now() : new Date(moved).toISOString().replace(/\.\d{3}Z$/, 'Z');
    if (grace === 0 && !finalizers.length) return undefined;
    return { ...obj, metadata: { ...meta, deletionTimestamp: ts, deletionGracePeriodSeconds: grace } };
  }
  if (isPod) {
    // pod strategy CheckGracefulDelete: the spec's grace period by default; none for a pod that
    // never reached a node or has finished.
    if (grace === undefined) grace = obj.spec?.terminationGracePeriodSeconds ?? 30;
    if (!obj.spec?.nodeName || obj.status?.phase === 'Succeeded' || obj.status?.phase === 'Failed') grace = 0;
    if (grace! > 0) {
      const next: Obj = {
        ...obj,
        metadata: { ...meta, deletionTimestamp: now(grace), deletionGracePeriodSeconds: grace },
      };
      if (typeof meta.generation === 'number' && meta.generation > 0)
        next.metadata.generation = meta.generation + 1;
      return next;
    }
  }
  if (finalizers.length)
    return { ...obj, metadata: { ...meta, deletionTimestamp: now(), deletionGracePeriodSeconds: 0 } };
  return undefined;
}

/** DELETE on a collection: each selected object is deleted as by its own DELETE. */
export async function deleteCollection(scope: Scope): Promise<ApiResponse> {
  const body =
    scope.req.body && scope.req.body.length > 0
      ? (parseJson(scope.req.body) as Record<string, unknown>)
      : undefined;
  const opts = parseDeleteOptions(body, scope.info.query);
  const q = parseListQuery(scope.info.query);
  const res = await scope.storage.list(prefixOf(scope.resource, scope.namespace), {
    filter: selection(scope, q),
  });
  const items: Obj[] = [];
  for (const item of res.items) {
    const o = item.object as Obj;
    const s: Scope = { ...scope, namespace: o.metadata?.namespace ?? '' };
    try {
      await deleteOne(s, String(o.metadata?.name), { ...opts, preconditions: undefined });
      items.push(served(scope.resource, o));
    } catch (e) {
      if ((e as { code?: number }).code !== 404) throw e;
    }
  }
  return respond(
    200,
    {
      kind: scope.resource.listKind,
      apiVersion: scope.resource.group
        ? `${scope.resource.group}/${scope.resource.version}`
        : scope.resource.version,
      metadata: { resourceVersion: res.revision },
      items,
    },
    scope.output,
  );
}
