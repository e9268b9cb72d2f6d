/** ObjectMeta checks (apimachinery pkg/api/validation/objectmeta.go), with each resource's name rule. */
import { child, isObject } from '../json.js';
import type { FieldCause, JsonObject, ResourceInfo } from '../types.js';
import { fieldError } from './field-errors.js';
import {
  dns1035Label,
  dns1123Label,
  dns1123Subdomain,
  labelValue,
  pathSegmentName,
  qualifiedName,
} from './names.js';

/** apimachinery's TotalAnnotationSizeLimitB: 256 KiB of keys and values together. */
const ANNOTATIONS_LIMIT = 256 * 1024;

/**
 * The name rule of each resource's ValidateObjectMeta call: namespaces are DNS labels
 * (ValidateNamespaceName), services DNS-1035 labels (ValidateServiceName), RBAC objects path
 * segments (ValidateRBACName: 'system:node' is valid), everything else DNS subdomains.
 */
function nameRule(info: ResourceInfo): (name: string) => string[] {
  if (info.group === '' && info.plural === 'namespaces') return dns1123Label;
  if (info.group === '' && info.plural === 'services') return dns1035Label;
  if (info.group === 'rbac.authorization.k8s.io') return pathSegmentName;
  return dns1123Subdomain;
}

export function validateMeta(info: ResourceInfo, object: JsonObject): FieldCause[] {
  const errs: FieldCause[] = [];
  const meta = child(object, 'metadata') ?? {};
  const name = typeof meta.name === 'string' ? meta.name : '';
  if (!name) errs.push(fieldError.required('metadata.name', 'name or generateName is required'));
  else for (const msg of nameRule(info)(name)) errs.push(fieldError.invalid('metadata.name', name, msg));

  const namespace = typeof meta.namespace === 'string' ? meta.namespace : '';
  if (info.namespaced) {
    if (!namespace) errs.push(fieldError.required('metadata.namespace'));
    else
      for (const msg of dns1123Label(namespace))
        errs.push(fieldError.invalid('metadata.namespace', namespace, msg));
  } else if (namespace) {
    errs.push(fieldError.forbidden('metadata.namespace', 'not allowed on this type'));
  }

  if (isObject(meta.labels)) {
    for (const [key, value] of Object.entries(meta.labels)) {
      for (const msg of qualifiedName(key)) errs.push(fieldError.invalid('metadata.labels', key, msg));
      for (const msg of labelValue(String(value)))
        errs.push(fieldError.invalid('metadata.labels', value, msg));
    }
  }
  if (isObject(meta.annotations)) {
    let size = 0;
    for (const [key, value] of Object.entries(meta.annotations)) {
      for (const msg of qualifiedName(key.toLowerCase()))
        errs.push(fieldError.invalid('metadata.annotations', key, msg));
      size += key.length + String(value).length;
    }
    if (size > ANNOTATIONS_LIMIT) {
      errs.push({
        field: 'metadata.annotations',
        type: 'FieldValueTooLong',
        message: `Too long: must have at most ${ANNOTATIONS_LIMIT} bytes`,
      });
    }
  }
  return errs;
}

/** ValidateObjectMetaUpdate: name, namespace and uid cannot change. */
export function validateMetaUpdate(object: JsonObject, old: JsonObject): FieldCause[] {
  const meta = child(object, 'metadata') ?? {};
  const oldMeta = child(old, 'metadata') ?? {};
  const errs: FieldCause[] = [];
  for (const field of ['name', 'namespace', 'uid']) {
    const value = meta[field] ?? '';
    if (value !== (oldMeta[field] ?? ''))
      errs.push(fieldError.invalid(`metadata.${field}`, value, 'field is immutable'));
  }
  return errs;
}
