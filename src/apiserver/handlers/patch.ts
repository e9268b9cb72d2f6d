/**
 * PATCH in its three flavours (JSON patch, merge patch, strategic merge patch with the kubelet's
 * `$setElementOrder`, `$patch: replace` and nulls), applied to the object as stored and committed
 * like an update. A lost compare-and-swap is retried on a fresh read, as kube-apiserver's
 * GuaranteedUpdate does, unless the patch itself pinned a resourceVersion: 50 writers patching one
 * object all land. Server-side apply is refused with a 415 saying how to do without it.
 */
import { applyPatch, parsePatch, patchTypeOf, type PatchType } from '../patch/index.js';
import { parseWriteQuery } from '../router.js';
import { Errors, toApiError } from '../status.js';
import { isStorageError } from '../storage/index.js';
import { protobufHint, respond } from './content.js';
import type { Scope } from './context.js';
import { readExisting, type Existing } from './existing.js';
import type { Obj } from './objects.js';
import { commitUpdate } from './update.js';
import type { ApiResponse } from './types.js';

const MAX_ATTEMPTS = 64;
const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
];

export async function patchObject(scope: Scope): Promise<ApiResponse> {
  const { dryRun } = parseWriteQuery(scope.info.query);
  const contentType = scope.req.headers['content-type'] ?? '';
  const type = patchTypeOf(contentType);
  if (!type) {
    const apply = /^application\/apply-patch\+(yaml|cbor)/i.test(contentType.trim());
    throw Errors.unsupportedMediaType(
      PATCH_TYPES,
      apply
        ? 'server-side apply is not supported by this API server: use client-side apply (kubectl apply without --server-side)'
        : /protobuf/i.test(contentType)
          ? protobufHint(scope.req.headers['user-agent'] ?? '')
          : undefined,
    );
  }
  const patch = parsePatch(scope.req.body ?? Buffer.alloc(0));
  let fromCache = true;
  for (let attempt = 1; ; attempt++) {
    const existing = await readExisting(scope, fromCache);
    fromCache = false;
    try {
      return respond(200, await patchOnce(scope, existing, patch, type, dryRun), scope.output);
    } catch (e) {
      // Whatever fails on a cached copy is tried again on storage's before it is answered
      // (GuaranteedUpdate with a cachedExistingObject that is not current).
      if (existing.cached) continue;
      if (!isStorageError(e, 'CONFLICT')) throw toApiError(e, scope.gr, scope.name);
      if (attempt >= MAX_ATTEMPTS) throw Errors.modified(scope.gr, scope.name);
    }
  }
}

// One attempt: the patch applied to existing and committed. A storage CONFLICT is for the caller to
// retry, unless the patch itself pinned the resourceVersion: then it is the client's 409.
async function patchOnce(
  scope: Scope,
  existing: Existing,
  patch: unknown,
  type: PatchType,
  dryRun: boolean,
): Promise<Obj> {
  const { resource: info } = scope;
  let patched: Obj;
  try {
    patched = applyPatch(existing.object, patch, type, {
      group: info.group,
      version: info.version,
      kind: info.kind,
    }) as Obj;
  } catch (e) {
    throw toApiError(e, scope.gr, scope.name);
  }
  const pinned = patched.metadata?.resourceVersion;
  if (pinned !== undefined && pinned !== existing.stored.revision)
    throw Errors.modified(scope.gr, scope.name);
  if (patched.metadata?.name !== undefined && patched.metadata.name !== scope.name) {
    throw Errors.badRequest(
      `the name of the object (${patched.metadata.name}) does not match the name on the URL (${scope.name})`,
    );
  }
  try {
    return await commitUpdate(scope, existing, patched, dryRun);
  } catch (e) {
    if (isStorageError(e, 'CONFLICT') && pinned !== undefined && patchPinsVersion(patch))
      throw Errors.modified(scope.gr, scope.name);
    throw e;
  }
}

// A patch that names a resourceVersion is a precondition; one that does not is retried on conflict.
function patchPinsVersion(patch: unknown): boolean {
  if (Array.isArray(patch))
    return patch.some((op) => typeof op?.path === 'string' && op.path === '/metadata/resourceVersion');
  const meta = (patch as { metadata?: { resourceVersion?: unknown } } | null)?.metadata;
  return meta?.resourceVersion !== undefined && meta.resourceVersion !== null;
}
