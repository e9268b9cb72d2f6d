/**
 * Namespace lifecycle: the NamespaceLifecycle admission plugin (no new content in a missing or
 * terminating namespace; default, kube-system and kube-public may not be deleted), the namespace
 * controller's finalization (delete the contents, drop the `kubernetes` finalizer, remove the
 * namespace) and, in standalone mode, what the service-account and root-CA controllers put in
 * every new namespace — the shim stands in for a control plane that has none of these running.
 */
import {
  applyCreateDefaults,
  storageKey,
  storagePrefixKey,
  toStorage,
  type ResourceInfo,
} from '../registry/index.js';
import { Errors } from '../status.js';
import { isStorageError, type KubeObject } from '../storage/index.js';
import type { Scope, ServerContext } from './context.js';
import { cachedGet } from './lookups.js';
import type { Obj } from './objects.js';

const IMMORTAL = new Set(['default', 'kube-system', 'kube-public']);
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

function info(ctx: ServerContext, group: string, plural: string): ResourceInfo {
  const found = ctx.registry.lookup(group, 'v1', plural);
  if (!found) throw Errors.internal(`the registry has no ${plural}`);
  return found;
}

/** NamespaceLifecycle on create: 404 for a missing namespace, 403 for a terminating one. */
export async function admitNamespace(scope: Scope, name: string): Promise<void> {
  if (!scope.resource.namespaced || scope.resource.virtual) return;
  const nsInfo = info(scope.ctx, '', 'namespaces');
  const o = (await cachedGet(
    scope.ctx,
    scope.ctx.storage,
    storagePrefixKey(nsInfo),
    storageKey(nsInfo, undefined, scope.namespace),
  )) as Obj | undefined;
  if (!o) throw Errors.notFound({ group: '', resource: 'namespaces' }, scope.namespace);
  if (o.metadata?.deletionTimestamp || o.status?.phase === 'Terminating') {
    throw Errors.forbidden(
      scope.gr,
      name,
      `unable to create new content in namespace ${scope.namespace} because it is being terminated`,
    );
  }
}

/** The delete of a namespace: refused for the immortal ones, else Terminating and finalized in the background. */
export async function deleteNamespace(scope: Scope, existing: Obj, revision: string): Promise<Obj> {
  const name = existing.metadata?.name as string;
  if (IMMORTAL.has(name)) throw Errors.forbidden(scope.gr, name, 'this namespace may not be deleted');
  let out = existing;
  if (!existing.metadata?.deletionTimestamp) {
    const next = {
      ...existing,
      metadata: {
        ...existing.metadata,
        deletionTimestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      },
      status: { ...existing.status, phase: 'Terminating' },
    };
    const stored = await scope.storage.update(storageKey(scope.resource, undefined, name), next, {
      expectedRevision: revision,
    });
    out = stored.object as Obj;
  }
  void finalizeNamespace(scope.ctx, name).catch((e) =>
    scope.ctx.log(`namespace ${name}: finalization failed: ${(e as Error).message}`),
  );
  return out;
}

// The namespace controller: delete everything in it, then the finalizer, then (no finalizers left) it.
async function finalizeNamespace(ctx: ServerContext, name: string): Promise<void> {
  const prefixes = new Set<string>();
  for (const r of ctx.registry.resources()) {
    if (r.namespaced && !r.virtual && r.storagePrefix) prefixes.add(storagePrefixKey(r, name));
  }
  for (const prefix of prefixes) {
    const storage = prefix.startsWith('/registry/events/') ? ctx.eventStorage : ctx.storage;
    const res = await storage.list(prefix);
    for (const item of res.items) {
      await storage.delete(item.key).catch((e) => {
        if (!isStorageError(e, 'NOT_FOUND')) throw e;
      });
    }
  }
  const nsInfo = info(ctx, '', 'namespaces');
  const key = storageKey(nsInfo, undefined, name);
  for (let attempt = 0; attempt < 10; attempt++) {
    const cur = await ctx.storage.get(key);
    if (!cur) return;
    const o = cur.object as Obj;
    const specFinalizers = ((o.spec?.finalizers ?? []) as string[]).filter((f) => f !== 'kubernetes');
    try {
      if (specFinalizers.length === 0 && ((o.metadata?.finalizers ?? []) as string[]).length === 0) {
        await ctx.storage.delete(key, { expectedRevision: cur.revision });
      } else {
        await ctx.storage.update(
          key,
          { ...o, spec: { ...o.spec, finalizers: specFinalizers } } as KubeObject,
          { expectedRevision: cur.revision },
        );
      }
      return;
    } catch (e) {
      if (!isStorageError(e, 'CONFLICT')) throw e;
    }
  }
}

/** Creates an object as the server itself would (defaults, uid), unless it exists. */
export async function ensureObject(
  ctx: ServerContext,
  group: string,
  plural: string,
  namespace: string | undefined,
  obj: Obj,
  extra: Parameters<typeof applyCreateDefaults>[2] = {},
): Promise<void> {
  const r = info(ctx, group, plural);
  const object = applyCreateDefaults(r, obj, extra) as KubeObject;
  const key = storageKey(r, namespace, String(obj.metadata?.name));
  if (await ctx.storage.get(key)) return;
  await ctx.storage.create(key, toStorage(r, object) as KubeObject).catch((e) => {
    if (!isStorageError(e, 'ALREADY_EXISTS')) throw e;
  });
}

/** What the service-account and root-CA publisher controllers put into a new namespace. */
export async function populateNamespace(ctx: ServerContext, name: string): Promise<void> {
  if (ctx.mode !== 'standalone') return;
  await ensureObject(ctx, '', 'serviceaccounts', name, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'default', namespace: name },
  });
  if (ctx.clusterCa) {
    await ensureObject(ctx, '', 'configmaps', name, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'kube-root-ca.crt',
        namespace: name,
        annotations: {
          'kubernetes.io/description':
            'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.',
        },
      },
      data: { 'ca.crt': ctx.clusterCa },
    });
  }
}
