/**
 * Resource requests: the URL's resource looked up in the registry, its scope and subresource
 * checked as kube-apiserver's routes check them (a path no route serves is a 404 Status, a verb a
 * resource does not take a 405), then the verb's handler.
 */
import type { UserInfo } from '../auth/index.js';
import type { RequestInfo } from '../router.js';
import { Errors } from '../status.js';
import type { ServiceAllocator } from './allocator.js';
import { bindPod } from './binding.js';
import { negotiate } from './content.js';
import type { Scope, ServerContext } from './context.js';
import { createObject } from './create.js';
import { syncCrds } from './crds.js';
import { deleteCollection, deleteObject, evictPod } from './delete.js';
import { patchObject } from './patch.js';
import { getObject, listObjects } from './read.js';
import { review } from './reviews.js';
import { createToken } from './token.js';
import type { ApiRequest, ApiResponse } from './types.js';
import { updateObject } from './update.js';
import { watchObjects } from './watch.js';

// Verbs a namespaced resource serves without a namespace in the path (across all namespaces).
const COLLECTION_VERBS = new Set(['list', 'watch', 'deletecollection']);

/** The scope of a resource request, or the 404 of a path no route serves. */
export function resolveScope(ctx: ServerContext, req: ApiRequest, info: RequestInfo, user: UserInfo): Scope {
  const resource = ctx.registry.lookup(info.group, info.version, info.resource);
  if (!resource) throw Errors.pathNotFound();
  let namespace = info.namespace;
  if (!resource.namespaced) {
    // `namespaces/<n>` parses with namespace <n>; any other cluster-scoped resource under a namespace has no route.
    if (namespace && !(resource.plural === 'namespaces' && resource.group === ''))
      throw Errors.pathNotFound();
    namespace = '';
  } else if (!namespace && !COLLECTION_VERBS.has(info.verb)) {
    throw Errors.pathNotFound();
  }
  if (info.subresource && !resource.subresources.includes(info.subresource as never))
    throw Errors.pathNotFound();
  if (info.parts.length > 3) throw Errors.pathNotFound();
  const tableable =
    !info.subresource && (info.verb === 'get' || info.verb === 'list' || info.verb === 'watch');
  return {
    ctx,
    req,
    info,
    user,
    resource,
    gr: { group: resource.group, resource: resource.plural },
    namespace,
    name: info.name,
    // core and events.k8s.io Events share one prefix, and in bootstrap mode one memory store.
    storage: resource.storagePrefix === 'events' ? ctx.eventStorage : ctx.storage,
    output: negotiate(req, info.query, { table: tableable }),
  };
}

/** Serves a resource request with its verb's handler. */
export async function serveResource(
  scope: Scope,
  allocator: ServiceAllocator,
  signal: AbortSignal,
): Promise<ApiResponse> {
  const res = await serveVerb(scope, allocator, signal);
  const { resource, info } = scope;
  if (
    resource.group === 'apiextensions.k8s.io' &&
    resource.plural === 'customresourcedefinitions' &&
    !['get', 'list', 'watch'].includes(info.verb)
  ) {
    await syncCrds(scope.ctx);
  }
  return res;
}

async function serveVerb(
  scope: Scope,
  allocator: ServiceAllocator,
  signal: AbortSignal,
): Promise<ApiResponse> {
  const { info, resource } = scope;
  const verb = info.verb;
  const sub = info.subresource;
  if (resource.virtual) {
    if (verb !== 'create') throw Errors.methodNotSupported(scope.gr, verb);
    return review(scope);
  }
  if (!sub) {
    if (!resource.verbs.includes(verb)) throw Errors.methodNotSupported(scope.gr, verb);
    switch (verb) {
      case 'get':
        return getObject(scope);
      case 'list':
        return listObjects(scope);
      case 'watch':
        return watchObjects(scope, signal);
      case 'create':
        return createObject(scope, allocator);
      case 'update':
        return updateObject(scope);
      case 'patch':
        return patchObject(scope);
      case 'delete':
        return deleteObject(scope);
      case 'deletecollection':
        return deleteCollection(scope);
    }
    throw Errors.methodNotSupported(scope.gr, verb);
  }
  const subGr = { group: resource.group, resource: `${resource.plural}/${sub}` };
  switch (`${sub}:${verb}`) {
    case 'status:get':
      return getObject(scope);
    case 'status:update':
    case 'finalize:update':
      return updateObject(scope);
    case 'status:patch':
      return patchObject(scope);
    case 'binding:create':
      return bindPod(scope);
    case 'token:create':
      return createToken(scope);
    case 'eviction:create':
      return evictPod(scope);
    case 'log:get':
      throw logsNotServed(scope);
  }
  throw Errors.methodNotSupported(subGr, verb);
}

// kube-apiserver proxies logs from the kubelet; the shim has no kubelet client.
function logsNotServed(scope: Scope): Error {
  const e = Errors.notFound({ group: '', resource: 'pods/log' }, scope.name);
  e.status.message = `pods/log of "${scope.name}" is not served by the bootstrap API shim (kube-apiserver proxies it from the kubelet); read it on the node with crictl logs`;
  return e;
}
