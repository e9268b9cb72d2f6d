/**
 * Reading and writing one resource's objects for a request: keys, the served form (registry
 * conversion), the body's identity checks (kind, name, namespace) and the lookups admission needs.
 */
import { nodeIdentity } from '../auth/index.js';
import { admitNodeWrite, type AdmissionAttributes } from '../auth/index.js';
import {
  fromStorage,
  jsonEqual,
  reconcileNamespace,
  storageKey,
  storagePrefixKey,
  toStorage,
  type JsonObject,
  type Registry,
  type ResourceInfo,
} from '../registry/index.js';
import { Errors } from '../status.js';
import type { KubeObject, StoredObject } from '../storage/index.js';
import type { Scope, ServerContext } from './context.js';
import { cachedGet } from './lookups.js';

export type Obj = Record<string, any>;

/** `v1`, `apps/v1`. */
export function apiVersionOf(info: ResourceInfo): string {
  return info.group ? `${info.group}/${info.version}` : info.version;
}

/** The object's key in the request's namespace. */
export function keyOf(scope: Scope, name = scope.name): string {
  return storageKey(scope.resource, scope.namespace || undefined, name);
}

/** The object as the resource serves it (events.k8s.io from core Events, CR versions). */
export function served(info: ResourceInfo, object: KubeObject): Obj {
  if (!info.storageApiVersion) return object as Obj;
  const out = fromStorage(info, object) as Obj;
  out.metadata = { ...out.metadata, resourceVersion: object.metadata?.resourceVersion };
  return out;
}

/** The object as written to etcd for the resource. */
export function toStored(info: ResourceInfo, object: Obj): KubeObject {
  return (info.storageApiVersion ? toStorage(info, object) : object) as KubeObject;
}

/** The stored object at the request's key, served; 404 NotFound when absent. */
export async function readObject(
  scope: Scope,
  name = scope.name,
): Promise<{ object: Obj; stored: StoredObject }> {
  const stored = await scope.storage.get(keyOf(scope, name));
  if (!stored) throw Errors.notFound(scope.gr, name);
  return { object: served(scope.resource, stored.object), stored };
}

/**
 * The request body checked as the real decoder and rest.BeforeCreate/Update check it: apiVersion
 * and kind default from the URL and must match it, the namespace must match the URL's.
 */
export function checkBody(scope: Scope, body: unknown): Obj {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw Errors.badRequest(`the object provided is unrecognized (must be of type ${scope.resource.kind})`);
  }
  const obj = body as Obj;
  const want = apiVersionOf(scope.resource);
  if (obj.apiVersion === undefined || obj.apiVersion === '') obj.apiVersion = want;
  if (obj.kind === undefined || obj.kind === '') obj.kind = scope.resource.kind;
  if (obj.kind !== scope.resource.kind) {
    throw Errors.badRequest(
      `${obj.kind} in version "${String(obj.apiVersion).split('/').pop()}" cannot be handled as a ${scope.resource.kind}: no kind "${obj.kind}" is registered for version "${want}" in scheme`,
    );
  }
  if (obj.apiVersion !== want) {
    throw Errors.badRequest(
      `the API version in the data (${obj.apiVersion}) does not match the expected API version (${want})`,
    );
  }
  if (typeof obj.metadata !== 'object' || obj.metadata === null) obj.metadata = {};
  reconcileNamespace(scope.resource, obj, scope.namespace || undefined);
  return obj;
}

/** Whether two objects are the same JSON apart from metadata.resourceVersion ("did anything change?"). */
export function sameObject(a: Obj, b: Obj): boolean {
  const strip = (o: Obj) => ({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } });
  return jsonEqual(strip(a), strip(b));
}

/** The pod or node at name, as NodeRestriction and the node graph look them up (from the watch cache; shared, never mutate it). */
export async function lookup(
  ctx: ServerContext,
  registry: Registry,
  group: string,
  plural: string,
  namespace: string,
  name: string,
): Promise<Obj | undefined> {
  const info = registry.lookup(group, 'v1', plural);
  if (!info) return undefined;
  const key = storageKey(info, info.namespaced ? namespace : undefined, name);
  return (await cachedGet(ctx, ctx.storage, storagePrefixKey(info), key)) as Obj | undefined;
}

/** Runs NodeRestriction when the user is a node; nothing for anyone else. */
export async function admitForNode(
  scope: Scope,
  a: Omit<AdmissionAttributes, 'group' | 'resource' | 'subresource' | 'namespace' | 'name'>,
): Promise<void> {
  const node = nodeIdentity(scope.user);
  if (!node.isNode) return;
  const { ctx } = scope;
  await admitNodeWrite(
    node.nodeName,
    {
      ...a,
      group: scope.resource.group,
      resource: scope.resource.plural,
      subresource: scope.info.subresource,
      namespace: scope.namespace,
      name: scope.name || String(a.object?.metadata?.name ?? ''),
    },
    {
      getPod: (ns, name) => lookup(ctx, ctx.registry, '', 'pods', ns, name),
      getNode: (name) => lookup(ctx, ctx.registry, '', 'nodes', '', name),
    },
  );
}

/** The list prefix of a resource in a namespace ('' = all). */
export function prefixOf(info: ResourceInfo, namespace: string): string {
  return storagePrefixKey(info, namespace || undefined);
}

export type { JsonObject };
