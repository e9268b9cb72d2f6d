/**
 * POST pods/<name>/binding, the scheduler's (and `start`'s) way to put a pod on a node (k/k
 * pkg/registry/core/pod/storage BindingREST): spec.nodeName set, the binding's annotations added,
 * PodScheduled=True; a pod already bound or being deleted is a 409 on `pods/binding`.
 */
import { Errors, toApiError } from '../status.js';
import { isStorageError } from '../storage/index.js';
import { decodeBody, respond } from './content.js';
import type { Scope } from './context.js';
import { keyOf, readObject, toStored, type Obj } from './objects.js';
import type { ApiResponse } from './types.js';

const BINDING_GR = { group: '', resource: 'pods/binding' };

export async function bindPod(scope: Scope): Promise<ApiResponse> {
  const binding = decodeBody(scope.req) as Obj;
  if (!binding || typeof binding !== 'object')
    throw Errors.badRequest('the object provided is unrecognized (must be of type Binding)');
  const kind = binding.target?.kind ?? '';
  if (kind !== '' && kind !== 'Node') {
    throw Errors.invalid({ group: '', kind: 'Binding' }, binding.metadata?.name ?? '', [
      {
        field: 'target.kind',
        type: 'FieldValueNotSupported',
        message: `Unsupported value: "${kind}": supported values: "Node", "<empty>"`,
      },
    ]);
  }
  if ((binding.metadata?.name ?? scope.name) !== scope.name)
    throw Errors.badRequest('name in URL does not match name in Binding object');
  const node = String(binding.target?.name ?? '');
  if (!node)
    throw Errors.invalid({ group: '', kind: 'Binding' }, scope.name, [
      { field: 'target.name', type: 'FieldValueRequired', message: 'Required value' },
    ]);
  for (let attempt = 0; attempt < 16; attempt++) {
    const { object: pod, stored } = await readObject(scope);
    const meta = pod.metadata ?? {};
    if (binding.metadata?.uid && binding.metadata.uid !== meta.uid) {
      throw Errors.conflict(
        BINDING_GR,
        scope.name,
        `Precondition failed: UID in precondition: ${binding.metadata.uid}, UID in object meta: ${meta.uid}`,
      );
    }
    if (meta.deletionTimestamp)
      throw Errors.conflict(
        BINDING_GR,
        scope.name,
        `pod ${scope.name} is being deleted, cannot be assigned to a host`,
      );
    if (pod.spec?.nodeName)
      throw Errors.conflict(
        BINDING_GR,
        scope.name,
        `pod ${scope.name} is already assigned to node "${pod.spec.nodeName}"`,
      );
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const conditions: Obj[] = (pod.status?.conditions ?? []).filter((c: Obj) => c.type !== 'PodScheduled');
    const prior = (pod.status?.conditions ?? []).find((c: Obj) => c.type === 'PodScheduled');
    conditions.push({
      type: 'PodScheduled',
      status: 'True',
      lastProbeTime: null,
      lastTransitionTime: prior?.status === 'True' ? prior.lastTransitionTime : now,
    });
    const next: Obj = {
      ...pod,
      metadata: { ...meta, annotations: { ...meta.annotations, ...binding.metadata?.annotations } },
      spec: { ...pod.spec, nodeName: node },
      status: { ...pod.status, conditions },
    };
    if (Object.keys(next.metadata.annotations).length === 0) delete next.metadata.annotations;
    try {
      if (scope.info.query.getAll('dryRun').length === 0) {
        await scope.storage.update(keyOf(scope), toStored(scope.resource, next), {
          expectedRevision: stored.revision,
        });
      }
      return respond(
        201,
        { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 },
        scope.output,
      );
    } catch (e) {
      if (!isStorageError(e, 'CONFLICT')) throw toApiError(e, scope.gr, scope.name);
    }
  }
  throw Errors.modified(scope.gr, scope.name);
}
