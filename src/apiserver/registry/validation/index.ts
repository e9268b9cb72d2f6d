/**
 * The validation handlers run on create and update (a 422 Invalid with these causes): metadata
 * for every stored kind, then the kind's own rules. Not all of kube-apiserver's validation — the
 * parts that keep stored objects loadable and updatable by the real apiserver after the hand-off,
 * and the mistakes users make most.
 */
import { labelSelectorFromObject, matchesLabels } from '../../selectors/labels.js';
import { gvk } from '../defaults/index.js';
import { child, isObject, jsonEqual, objectsAt } from '../json.js';
import type { FieldCause, JsonObject, ResourceInfo } from '../types.js';
import { fieldError } from './field-errors.js';
import { validateMeta, validateMetaUpdate } from './meta.js';
import { configMapKey } from './names.js';
import { validatePodSpec, validatePodUpdate } from './pod.js';

/** Each workload's words for an empty selector (apps validation.go, copied between kinds upstream). */
const WORKLOADS: Record<string, string> = {
  'apps/v1/Deployment': 'empty selector is invalid for deployment',
  'apps/v1/ReplicaSet': 'empty selector is invalid for deployment',
  'apps/v1/StatefulSet': 'empty selector is invalid for statefulset',
  'apps/v1/DaemonSet': 'empty selector is not valid for daemonset.',
};
const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];

/** The causes of a 422 for obj (an update of old when given); [] when it is valid. */
export function validate(info: ResourceInfo, obj: object, old?: object): FieldCause[] {
  if (info.virtual) return [];
  const object = obj as JsonObject;
  const previous = old as JsonObject | undefined;
  const errs = validateMeta(info, object);
  if (previous) errs.push(...validateMetaUpdate(object, previous));
  const key = gvk(info);
  const spec = child(object, 'spec') ?? {};
  const oldSpec = child(previous, 'spec') ?? {};
  if (key === 'v1/Pod') {
    errs.push(...validatePodSpec(spec, 'spec'));
    if (previous) errs.push(...validatePodUpdate(spec, oldSpec));
  } else if (key in WORKLOADS) {
    errs.push(...validateWorkload(spec, previous ? oldSpec : undefined, WORKLOADS[key]));
  } else if (key === 'v1/Service') {
    errs.push(...validateService(spec, previous ? oldSpec : undefined));
  } else if (key === 'v1/Secret' || key === 'v1/ConfigMap') {
    errs.push(...validateData(key, object, previous));
  } else if (key === 'apiextensions.k8s.io/v1/CustomResourceDefinition') {
    errs.push(...validateCrd(object));
  }
  return errs;
}

/** ValidateDeployment/DaemonSet/ReplicaSet/StatefulSet: selector present, matching, immutable; a pod template that restarts Always. */
function validateWorkload(
  spec: JsonObject,
  oldSpec: JsonObject | undefined,
  emptySelector: string,
): FieldCause[] {
  const errs: FieldCause[] = [];
  const selector = labelSelectorFromObject(spec.selector);
  if (!selector) errs.push(fieldError.required('spec.selector'));
  else if (selector.requirements.length === 0)
    errs.push(fieldError.invalid('spec.selector', spec.selector, emptySelector));
  const template = child(spec, 'template') ?? {};
  const labels = child(child(template, 'metadata'), 'labels') ?? {};
  if (
    selector &&
    selector.requirements.length > 0 &&
    !matchesLabels(selector, labels as Record<string, string>)
  ) {
    errs.push(
      fieldError.invalid(
        'spec.template.metadata.labels',
        labels,
        '`selector` does not match template `labels`',
      ),
    );
  }
  if (typeof spec.replicas === 'number' && spec.replicas < 0) {
    errs.push(fieldError.invalid('spec.replicas', spec.replicas, 'must be greater than or equal to 0'));
  }
  errs.push(...validatePodSpec(child(template, 'spec') ?? {}, 'spec.template.spec', ['Always']));
  if (oldSpec && !jsonEqual(spec.selector, oldSpec.selector)) {
    errs.push(fieldError.invalid('spec.selector', spec.selector, 'field is immutable'));
  }
  return errs;
}

/** ValidateService's share: a known type, ports unless headless or ExternalName, a cluster IP that stays. */
function validateService(spec: JsonObject, oldSpec: JsonObject | undefined): FieldCause[] {
  const errs: FieldCause[] = [];
  const type = spec.type ?? 'ClusterIP';
  if (!SERVICE_TYPES.includes(String(type)))
    errs.push(fieldError.notSupported('spec.type', type, SERVICE_TYPES));
  if (type === 'ExternalName' && !spec.externalName) errs.push(fieldError.required('spec.externalName'));
  if (type !== 'ExternalName' && spec.clusterIP !== 'None' && objectsAt(spec, 'ports').length === 0) {
    errs.push(fieldError.required('spec.ports'));
  }
  objectsAt(spec, 'ports').forEach((port, i) => {
    if (typeof port.port !== 'number' || port.port < 1 || port.port > 65535) {
      errs.push(
        fieldError.invalid(`spec.ports[${i}].port`, port.port ?? 0, 'must be between 1 and 65535, inclusive'),
      );
    }
  });
  // the primary cluster IP may not change, except to or from ExternalName (validateUpgradeDowngradeClusterIPs)
  if (oldSpec && oldSpec.type !== 'ExternalName' && type !== 'ExternalName') {
    const oldIP = oldSpec.clusterIP;
    if (typeof oldIP === 'string' && oldIP !== '' && spec.clusterIP !== oldIP) {
      errs.push(
        fieldError.invalid(
          'spec.clusterIPs[0]',
          spec.clusterIPs ?? [spec.clusterIP ?? ''],
          'may not change once set',
        ),
      );
    }
  }
  return errs;
}

/** Secret and ConfigMap data: valid keys; type and, once immutable, data frozen. */
function validateData(key: string, object: JsonObject, previous: JsonObject | undefined): FieldCause[] {
  const errs: FieldCause[] = [];
  const maps = key === 'v1/Secret' ? ['data'] : ['data', 'binaryData'];
  for (const map of maps) {
    if (!isObject(object[map])) continue;
    for (const k of Object.keys(object[map] as JsonObject)) {
      for (const msg of configMapKey(k)) errs.push(fieldError.invalid(map, k, msg));
    }
  }
  if (!previous) return errs;
  if (key === 'v1/Secret' && (object.type ?? '') !== (previous.type ?? '')) {
    errs.push(fieldError.invalid('type', object.type ?? '', 'field is immutable'));
  }
  if (previous.immutable === true) {
    if (object.immutable !== true)
      errs.push(fieldError.forbidden('immutable', 'field is immutable when `immutable` is set'));
    for (const map of maps) {
      if (!jsonEqual(object[map] ?? {}, previous[map] ?? {}))
        errs.push(fieldError.forbidden(map, 'field is immutable when `immutable` is set'));
    }
  }
  return errs;
}

/** The CRD rules the registry depends on: the name, the names, exactly one storage version. */
function validateCrd(object: JsonObject): FieldCause[] {
  const errs: FieldCause[] = [];
  const spec = child(object, 'spec') ?? {};
  const names = child(spec, 'names') ?? {};
  const name = child(object, 'metadata')?.name;
  if (!spec.group) errs.push(fieldError.required('spec.group'));
  if (!names.plural) errs.push(fieldError.required('spec.names.plural'));
  if (!names.kind) errs.push(fieldError.required('spec.names.kind'));
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster') {
    errs.push(fieldError.notSupported('spec.scope', spec.scope ?? '', ['Cluster', 'Namespaced']));
  }
  if (spec.group && names.plural && name !== `${String(names.plural)}.${String(spec.group)}`) {
    errs.push(fieldError.invalid('metadata.name', name ?? '', 'must be spec.names.plural+"."+spec.group'));
  }
  const versions = objectsAt(spec, 'versions');
  if (versions.length === 0)
    errs.push(
      fieldError.required('spec.versions', 'must have exactly one version marked as storage version'),
    );
  else if (versions.filter((v) => v.storage === true).length !== 1) {
    errs.push(
      fieldError.invalid(
        'spec.versions',
        versions.map((v) => v.name),
        'must have exactly one version marked as storage version',
      ),
    );
  }
  return errs;
}
