/**
 * POST of a new object, in kube-apiserver's order: decode and check the body, generateName,
 * defaults and server-set fields (registry), admission (NodeRestriction, NamespaceLifecycle,
 * Priority, ServiceAccount), validation, then one create transaction; 201 with the stored object.
 */
import {
  applyCreateDefaults,
  generateObjectName,
  storagePrefixKey,
  validate,
  type CreateDefaultsOptions,
} from '../registry/index.js';
import { parseWriteQuery } from '../router.js';
import { Errors, toApiError } from '../status.js';
import { isStorageError } from '../storage/index.js';
import { decodeBody, respond } from './content.js';
import type { Scope } from './context.js';
import { admitNamespace, populateNamespace } from './namespace.js';
import { cachedList } from './lookups.js';
import { admitForNode, checkBody, keyOf, lookup, served, toStored, type Obj } from './objects.js';
import type { ServiceAllocator } from './allocator.js';
import type { ApiResponse } from './types.js';

// rest.create's retries of a generated name that was taken (RetryGenerateName, on since 1.31).
const GENERATE_NAME_ATTEMPTS = 8;

export async function createObject(scope: Scope, allocator: ServiceAllocator): Promise<ApiResponse> {
  const { dryRun } = parseWriteQuery(scope.info.query);
  const body = checkBody(scope, decodeBody(scope.req));
  const meta = body.metadata as Obj;
  const generate = !meta.name && typeof meta.generateName === 'string' && meta.generateName !== '';
  if (meta.resourceVersion)
    throw Errors.internal('resourceVersion should not be set on objects to be created');
  const isService = scope.resource.group === '' && scope.resource.plural === 'services';
  const run = (hooks?: Parameters<Parameters<ServiceAllocator['withAllocation']>[0]>[0]) =>
    createWith(scope, body, generate, dryRun, hooks);
  const created = isService
    ? await allocator.withAllocation((hooks) => (hooks.check(body), run(hooks)))
    : await run();
  if (scope.resource.group === '' && scope.resource.plural === 'namespaces' && !dryRun) {
    await populateNamespace(scope.ctx, String(created.metadata?.name));
  }
  return respond(201, created, scope.output);
}

async function createWith(
  scope: Scope,
  body: Obj,
  generate: boolean,
  dryRun: boolean,
  hooks?: { allocateClusterIP: () => string; allocateNodePort: () => number },
): Promise<Obj> {
  const { resource: info } = scope;
  const opts = await createOptions(scope, body);
  if (hooks)
    Object.assign(opts, {
      allocateClusterIP: hooks.allocateClusterIP,
      allocateNodePort: hooks.allocateNodePort,
    });
  for (let attempt = 0; ; attempt++) {
    const candidate: Obj = { ...body, metadata: { ...body.metadata } };
    if (generate) candidate.metadata.name = generateObjectName(candidate.metadata.generateName);
    const name = String(candidate.metadata.name ?? '');
    // Admission runs on the decoded object, NamespaceLifecycle first, as the real plugin chain orders them.
    await admitNamespace(scope, name);
    await admitForNode(scope, { operation: 'create', object: candidate });
    let object: Obj;
    try {
      object = applyCreateDefaults(info, candidate, opts) as Obj;
    } catch (e) {
      throw toApiError(e, scope.gr, name);
    }
    const causes = validate(info, object);
    if (causes.length > 0) throw Errors.invalid({ group: info.group, kind: info.kind }, name, causes);
    if (dryRun) return object;
    try {
      const stored = await scope.storage.create(keyOf(scope, name), toStored(info, object), {
        ttlSeconds: info.ttlSeconds,
      });
      return served(info, stored.object);
    } catch (e) {
      if (isStorageError(e, 'ALREADY_EXISTS')) {
        if (generate && attempt + 1 < GENERATE_NAME_ATTEMPTS) continue;
        throw generate ? Errors.generateNameConflict(scope.gr, name) : Errors.alreadyExists(scope.gr, name);
      }
      throw toApiError(e, scope.gr, name);
    }
  }
}

// What the registry's pod admission needs looked up first: priority classes and, in standalone
// mode, the pod's service account (bootstrap mode has no service-account controller to make one).
async function createOptions(scope: Scope, body: Obj): Promise<CreateDefaultsOptions> {
  const opts: CreateDefaultsOptions = {};
  if (scope.resource.group !== '' || scope.resource.plural !== 'pods') return opts;
  const pcInfo = scope.ctx.registry.lookup('scheduling.k8s.io', 'v1', 'priorityclasses');
  const classes = pcInfo ? await cachedList(scope.ctx, scope.ctx.storage, storagePrefixKey(pcInfo)) : [];
  opts.priorityClass = (name: string) => {
    const pcs = classes as Obj[];
    const pc =
      name === '' ? pcs.find((c) => c.globalDefault === true) : pcs.find((c) => c.metadata?.name === name);
    return pc ? { value: Number(pc.value ?? 0), preemptionPolicy: pc.preemptionPolicy } : undefined;
  };
  if (scope.ctx.mode === 'standalone') {
    const saName = body.spec?.serviceAccountName || body.spec?.serviceAccount || 'default';
    opts.serviceAccount =
      (await lookup(scope.ctx, scope.ctx.registry, '', 'serviceaccounts', scope.namespace, saName)) ?? null;
  }
  return opts;
}
