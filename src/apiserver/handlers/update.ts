/**
 * PUT of an object or its status, and the update step PATCH shares: the registry's update
 * preparation (server-owned metadata kept, status only through /status, generation), validation,
 * NodeRestriction, then a compare-and-swap on the revision read. A stale resourceVersion is the
 * real 409 Conflict; an update that changes nothing writes nothing (no new resourceVersion, as
 * etcd3's GuaranteedUpdate skips identical bytes), which keeps `kubectl apply` idempotent.
 */
import { applyCreateDefaults, applyUpdateDefaults, validate } from '../registry/index.js';
import { parseWriteQuery } from '../router.js';
import { Errors, toApiError } from '../status.js';
import { isStorageError, type StoredObject } from '../storage/index.js';
import { decodeBody, respond } from './content.js';
import type { Scope } from './context.js';
import { readExisting, StaleCopy, type Existing } from './existing.js';
import { admitForNode, checkBody, keyOf, sameObject, served, toStored, type Obj } from './objects.js';
import type { ApiResponse } from './types.js';

// Optimistic-concurrency retries of an unconditional update before giving up (GuaranteedUpdate loops).
const MAX_ATTEMPTS = 16;

/** A resource's update with the object as it is stored now; throws storage CONFLICT for the caller to retry. */
export async function commitUpdate(
  scope: Scope,
  existing: Existing | { object: Obj; stored: StoredObject; cached?: false },
  candidate: Obj,
  dryRun: boolean,
): Promise<Obj> {
  const { resource: info } = scope;
  const sub = scope.info.subresource === 'status' ? 'status' : undefined;
  let next: Obj;
  try {
    next = applyUpdateDefaults(info, candidate, existing.object, sub) as Obj;
  } catch (e) {
    throw toApiError(e, scope.gr, scope.name);
  }
  next.metadata = { ...next.metadata, resourceVersion: existing.stored.revision };
  if (scope.info.subresource === 'finalize' && info.plural === 'namespaces') {
    // namespaces/finalize changes spec.finalizers and nothing else.
    next = {
      ...existing.object,
      spec: { ...existing.object.spec, finalizers: candidate.spec?.finalizers ?? [] },
    };
  }
  const causes = validate(info, next, existing.object);
  if (causes.length > 0) throw Errors.invalid({ group: info.group, kind: info.kind }, scope.name, causes);
  await admitForNode(scope, { operation: 'update', object: next, oldObject: existing.object });
  const key = keyOf(scope);
  // store.Update: an object whose deletion waits only for finalizers goes once the last is removed.
  const oldMeta = existing.object.metadata ?? {};
  if (
    oldMeta.deletionTimestamp &&
    !(next.metadata?.finalizers ?? []).length &&
    (oldMeta.deletionGracePeriodSeconds ?? 0) === 0
  ) {
    if (dryRun) return next;
    const gone = await scope.storage.delete(key, { expectedRevision: existing.stored.revision });
    return served(info, gone.object);
  }
  if (sameObject(next, existing.object)) {
    // Nothing to write, which only storage can confirm (store.go: !origStateIsCurrent → re-read).
    if (existing.cached) throw new StaleCopy();
    return existing.object;
  }
  if (dryRun) return next;
  const stored = await scope.storage.update(key, toStored(info, next), {
    expectedRevision: existing.stored.revision,
  });
  return served(info, stored.object);
}

/** PUT …/<name> and …/<name>/status. */
export async function updateObject(scope: Scope): Promise<ApiResponse> {
  const { dryRun } = parseWriteQuery(scope.info.query);
  const body = checkBody(scope, decodeBody(scope.req));
  const bodyName = body.metadata?.name;
  if (bodyName && bodyName !== scope.name) {
    throw Errors.badRequest(
      `the name of the object (${bodyName}) does not match the name on the URL (${scope.name})`,
    );
  }
  body.metadata.name = scope.name;
  const precondition: string | undefined = body.metadata.resourceVersion || undefined;
  let fromCache = true;
  for (let attempt = 1; ; attempt++) {
    let existing;
    try {
      existing = await readExisting(scope, fromCache);
    } catch (e) {
      // Events and endpoints are created by an update (AllowCreateOnUpdate); others are not.
      if ((e as { code?: number }).code === 404 && allowCreateOnUpdate(scope))
        return createOnUpdate(scope, body, dryRun);
      throw e;
    }
    fromCache = false;
    try {
      if (precondition !== undefined && precondition !== existing.stored.revision)
        throw Errors.modified(scope.gr, scope.name);
      const out = await commitUpdate(scope, existing, body, dryRun);
      return respond(200, out, scope.output);
    } catch (e) {
      // Whatever fails on a cached copy is tried again on storage's before it is answered
      // (GuaranteedUpdate with a cachedExistingObject that is not current).
      if (existing.cached) continue;
      if (!isStorageError(e, 'CONFLICT')) throw toApiError(e, scope.gr, scope.name);
      if (precondition !== undefined || attempt >= MAX_ATTEMPTS) throw Errors.modified(scope.gr, scope.name);
    }
  }
}

function allowCreateOnUpdate(scope: Scope): boolean {
  return (
    scope.resource.group === '' &&
    (scope.resource.plural === 'events' || scope.resource.plural === 'endpoints') &&
    !scope.info.subresource
  );
}

async function createOnUpdate(scope: Scope, body: Obj, dryRun: boolean): Promise<ApiResponse> {
  const object = applyCreateDefaults(scope.resource, {
    ...body,
    metadata: { ...body.metadata, resourceVersion: undefined },
  }) as Obj;
  delete object.metadata.resourceVersion;
  const causes = validate(scope.resource, object);
  if (causes.length > 0)
    throw Errors.invalid({ group: scope.resource.group, kind: scope.resource.kind }, scope.name, causes);
  if (dryRun) return respond(201, object, scope.output);
  const stored = await scope.storage.create(keyOf(scope), toStored(scope.resource, object), {
    ttlSeconds: scope.resource.ttlSeconds,
  });
  return respond(201, served(scope.resource, stored.object), scope.output);
}
