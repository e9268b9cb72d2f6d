/**
 * Defaults and server-set fields, in kube-apiserver's order: decode-time defaulting (every
 * request body and every read from etcd), then on create the generic registry's BeforeCreate
 * (uid, creationTimestamp) and the kind's strategy PrepareForCreate plus the mutating admission
 * plugins enabled by default.
 */
import { randomUUID } from 'node:crypto';
import { establishedCrdStatus } from '../crd.js';
import { clone, objectAt } from '../json.js';
import type { JsonObject, ResourceInfo } from '../types.js';
import { KIND_DEFAULTS } from './kinds.js';
import { preparePodForCreate, type PodAdmissionOptions } from './pod-create.js';
import { defaultPodOnly, defaultPodSpec } from './podspec.js';
import { defaultService, prepareServiceForCreate, type ServiceAllocationOptions } from './service.js';

export interface CreateDefaultsOptions extends PodAdmissionOptions, ServiceAllocationOptions {
  /** The time of the create (creationTimestamp, condition times); now by default. */
  now?: Date;
  /** The new object's uid; a random UUID by default. */
  uid?: () => string;
}

/** Kinds whose strategies track metadata.generation (set to 1 on create, +1 on each spec change). */
const TRACKS_GENERATION = new Set([
  'apps/v1/Deployment',
  'apps/v1/DaemonSet',
  'apps/v1/ReplicaSet',
  'apps/v1/StatefulSet',
  'policy/v1/PodDisruptionBudget',
  'discovery.k8s.io/v1/EndpointSlice',
  'apiextensions.k8s.io/v1/CustomResourceDefinition',
]);

/** The generation daemonsets carry as an annotation in apps/v1 (from the internal spec.templateGeneration). */
export const DAEMONSET_TEMPLATE_GENERATION = 'deprecated.daemonset.template.generation';

export function gvk(info: ResourceInfo): string {
  return `${info.group ? `${info.group}/` : ''}${info.version}/${info.kind}`;
}

/** True when the resource's metadata.generation moves with its spec (every custom resource does). */
export function tracksGeneration(info: ResourceInfo): boolean {
  return info.crd !== undefined || TRACKS_GENERATION.has(gvk(info));
}

/** RFC 3339 with whole seconds, as metav1.Time serializes. */
export function formatTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Decode-time defaults, in place: what kube-apiserver applies to every object it decodes. */
export function defaultObject(info: ResourceInfo, object: JsonObject): void {
  const key = gvk(info);
  if (key === 'v1/Pod') {
    const spec = objectAt(object, 'spec');
    defaultPodOnly(spec);
    defaultPodSpec(spec);
  } else if (key === 'v1/Service') {
    defaultService(object);
  } else {
    KIND_DEFAULTS[key]?.(object);
  }
}

/** A defaulted deep copy of obj: kube-apiserver's decode-time defaults (for create, update and reads alike). */
export function applyDefaults(info: ResourceInfo, obj: object): object {
  const copy = clone(obj) as JsonObject;
  defaultObject(info, copy);
  return copy;
}

/**
 * Create-time defaults and server-set fields, on a deep copy: decode-time defaults, then uid and
 * creationTimestamp (always the server's), generation 1 where tracked, and the kind's
 * PrepareForCreate — pods: status Pending + QoS class, priority, default tolerations, and
 * ServiceAccount admission when opts.serviceAccount is given; services: cluster IP through
 * opts.allocateClusterIP, IP families, node ports; namespaces: the kubernetes finalizer, Active;
 * workloads: an empty status; CRDs: established at once. Throws AdmissionForbiddenError where an
 * admission plugin refuses, RegistryUsageError when an allocation hook is missing.
 */
export function applyCreateDefaults(
  info: ResourceInfo,
  obj: object,
  opts: CreateDefaultsOptions = {},
): object {
  const object = clone(obj) as JsonObject;
  if (!object.apiVersion) object.apiVersion = info.group ? `${info.group}/${info.version}` : info.version;
  if (!object.kind) object.kind = info.kind;
  defaultObject(info, object);
  // a review is answered, never stored: it gets no identity
  if (info.virtual) return object;
  const now = formatTime(opts.now ?? new Date());
  const meta = objectAt(object, 'metadata');
  // rest.BeforeCreate → FillObjectMetaSystemFields: the server's uid and time, whatever was sent
  meta.uid = opts.uid?.() ?? randomUUID();
  meta.creationTimestamp = now;
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  delete meta.selfLink;
  if (tracksGeneration(info)) meta.generation = 1;
  prepareForCreate(info, object, opts, now);
  return object;
}

/** The kind's strategy PrepareForCreate (and admission, for pods). */
function prepareForCreate(
  info: ResourceInfo,
  object: JsonObject,
  opts: CreateDefaultsOptions,
  now: string,
): void {
  if (info.crd !== undefined) {
    // customresource strategy: with a status subresource, a create may not set status
    if (info.subresources.includes('status')) delete object.status;
    return;
  }
  switch (gvk(info)) {
    case 'v1/Pod':
      return preparePodForCreate(object, opts);
    case 'v1/Service':
      return prepareServiceForCreate(object, opts);
    case 'v1/Namespace': {
      object.status = { phase: 'Active' };
      const spec = objectAt(object, 'spec');
      const finalizers = Array.isArray(spec.finalizers) ? spec.finalizers : [];
      spec.finalizers = finalizers.includes('kubernetes') ? finalizers : [...finalizers, 'kubernetes'];
      return;
    }
    case 'v1/PersistentVolume':
      object.status = { phase: 'Pending', lastPhaseTransitionTime: now };
      return;
    case 'v1/PersistentVolumeClaim':
      object.status = { phase: 'Pending' };
      return;
    // Status structs as Go writes them when empty: fields without omitempty appear as 0.
    case 'apps/v1/Deployment':
      object.status = {};
      return;
    case 'apps/v1/ReplicaSet':
      object.status = { replicas: 0 };
      return;
    case 'apps/v1/StatefulSet':
      object.status = { replicas: 0, availableReplicas: 0 };
      return;
    case 'apps/v1/DaemonSet':
      object.status = {
        currentNumberScheduled: 0,
        numberMisscheduled: 0,
        desiredNumberScheduled: 0,
        numberReady: 0,
      };
      objectAt(objectAt(object, 'metadata'), 'annotations')[DAEMONSET_TEMPLATE_GENERATION] = '1';
      return;
    case 'policy/v1/PodDisruptionBudget':
      object.status = { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
      return;
    case 'storage.k8s.io/v1/VolumeAttachment':
      object.status = { attached: false };
      return;
    case 'certificates.k8s.io/v1/CertificateSigningRequest':
      object.status = {};
      return;
    case 'apiextensions.k8s.io/v1/CustomResourceDefinition':
      // The shim has no naming/establishing controllers: the CRD is served at once, as they would decide.
      object.status = establishedCrdStatus(object, now);
      return;
  }
}
