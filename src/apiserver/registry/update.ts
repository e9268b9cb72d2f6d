/**
 * What kube-apiserver does to an update before validating it: decode-time defaults, the generic
 * registry's BeforeUpdate (metadata the client may not change comes from the stored object) and
 * the kind's strategy PrepareForUpdate (status only through /status, spec only through the main
 * resource, generation moving with the spec, service allocations kept).
 */
import { carryServiceAllocations } from './defaults/service.js';
import { DAEMONSET_TEMPLATE_GENERATION, defaultObject, gvk, tracksGeneration } from './defaults/index.js';
import { child, clone, jsonEqual, objectAt } from './json.js';
import type { JsonObject, ResourceInfo } from './types.js';

/** Server-owned metadata an update cannot change (rest.BeforeUpdate). */
const KEPT_METADATA = ['creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds'];

/**
 * The object to validate and store for an update of old by obj, on a deep copy. `subresource` is
 * 'status' for PUT/PATCH …/status (only status changes), undefined for the main resource.
 */
export function applyUpdateDefaults(
  info: ResourceInfo,
  obj: object,
  old: object,
  subresource?: 'status',
): object {
  const object = clone(obj) as JsonObject;
  const previous = old as JsonObject;
  defaultObject(info, object);
  const meta = objectAt(object, 'metadata');
  const oldMeta = child(previous, 'metadata') ?? {};
  if (!meta.uid && oldMeta.uid) meta.uid = oldMeta.uid;
  for (const field of KEPT_METADATA) {
    if (oldMeta[field] !== undefined) meta[field] = oldMeta[field];
    else delete meta[field];
  }
  if (oldMeta.generation !== undefined) meta.generation = oldMeta.generation;
  else delete meta.generation;

  if (subresource === 'status') {
    prepareStatusUpdate(info, object, previous);
    return object;
  }
  if (info.subresources.includes('status')) {
    // the main resource ignores status changes: they go through /status
    if (previous.status !== undefined) object.status = clone(previous.status);
    else delete object.status;
  }
  const key = gvk(info);
  if (key === 'v1/Service') carryServiceAllocations(object, previous);
  if (key === 'v1/Namespace') {
    // finalizers change only through /finalize (namespace strategy PrepareForUpdate)
    const oldFinalizers = child(previous, 'spec')?.finalizers;
    if (oldFinalizers !== undefined) objectAt(object, 'spec').finalizers = clone(oldFinalizers);
  }
  if (tracksGeneration(info) && specChanged(info, object, previous)) {
    meta.generation = (typeof oldMeta.generation === 'number' ? oldMeta.generation : 0) + 1;
  }
  if (key === 'apps/v1/DaemonSet') carryTemplateGeneration(meta, oldMeta, object, previous);
  return object;
}

/** A status update keeps everything but status (and, for built-ins, metadata) from the stored object. */
function prepareStatusUpdate(info: ResourceInfo, object: JsonObject, previous: JsonObject): void {
  if (info.crd !== undefined) {
    // customresource status strategy: the old object, with only the new status
    const status = object.status;
    for (const key of Object.keys(object)) delete object[key];
    Object.assign(object, clone(previous));
    if (status === undefined) delete object.status;
    else object.status = status;
    return;
  }
  for (const key of Object.keys(object)) if (key !== 'metadata' && key !== 'status') delete object[key];
  for (const [key, value] of Object.entries(previous)) {
    if (key !== 'metadata' && key !== 'status') object[key] = clone(value);
  }
  if (gvk(info) === 'v1/Pod') {
    // old kubelets corrupt ownerReferences through pods/status (pod status strategy)
    const meta = objectAt(object, 'metadata');
    const owners = child(previous, 'metadata')?.ownerReferences;
    if (owners !== undefined) meta.ownerReferences = clone(owners);
    else delete meta.ownerReferences;
  }
}

function specChanged(info: ResourceInfo, object: JsonObject, previous: JsonObject): boolean {
  if (info.crd !== undefined || gvk(info) === 'discovery.k8s.io/v1/EndpointSlice') {
    // everything but metadata and status counts as spec
    const strip = (o: JsonObject) =>
      Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'metadata' && k !== 'status'));
    return !jsonEqual(strip(object), strip(previous));
  }
  return !jsonEqual(object.spec, previous.spec);
}

/** DaemonSets count template changes in an annotation (apps/v1 conversion of spec.templateGeneration). */
function carryTemplateGeneration(
  meta: JsonObject,
  oldMeta: JsonObject,
  object: JsonObject,
  previous: JsonObject,
): void {
  const oldAnnotations = child(oldMeta, 'annotations');
  const oldValue = Number(oldAnnotations?.[DAEMONSET_TEMPLATE_GENERATION] ?? 0);
  const templateChanged = !jsonEqual(child(object, 'spec')?.template, child(previous, 'spec')?.template);
  const value = templateChanged ? oldValue + 1 : oldValue;
  if (value > 0) objectAt(meta, 'annotations')[DAEMONSET_TEMPLATE_GENERATION] = String(value);
}
