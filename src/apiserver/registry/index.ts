/**
 * The resource registry of the API shim: which resources exist, where they live in etcd, and
 * what kube-apiserver does to their objects on create and update (defaults, server-set fields,
 * validation). The HTTP handlers are written against this module's exports.
 */
import { isObject, objectAt } from './json.js';
import { NamespaceMismatchError } from './errors.js';
import type { ResourceInfo } from './types.js';

export type { ResourceInfo, Registry, Subresource, FieldCause, JsonObject } from './types.js';
export { createRegistry, storageKey, storagePrefixKey } from './registry.js';
export { subresourceShape, BUILTIN_GROUP_ORDER, type SubresourceShape } from './builtin.js';
export { customResources, establishedCrdStatus } from './crd.js';
export {
  applyDefaults,
  applyCreateDefaults,
  tracksGeneration,
  formatTime,
  type CreateDefaultsOptions,
} from './defaults/index.js';
export { SYSTEM_PRIORITY_CLASSES, qosClass, type PodAdmissionOptions } from './defaults/pod-create.js';
export { pullPolicyFor } from './defaults/podspec.js';
export type { IPFamily, ServiceAllocationOptions } from './defaults/service.js';
export { applyUpdateDefaults } from './update.js';
export { validate } from './validation/index.js';
export { invalidMessage } from './validation/field-errors.js';
export { toStorage, fromStorage } from './conversion.js';
export { jsonEqual } from './json.js';
export { generateObjectName } from './names.js';
export { parseQuantity } from './quantity.js';
export * from './errors.js';

/**
 * Puts the request's namespace on obj, as rest.BeforeCreate/BeforeUpdate do: an empty namespace
 * takes the URL's, a cluster-scoped resource loses any, and a different one is a
 * NamespaceMismatchError (400). Mutates obj (the handler's own parsed body).
 */
export function reconcileNamespace(
  info: ResourceInfo,
  obj: object,
  requestNamespace: string | undefined,
): void {
  // a namespaced resource reached without a namespace in the URL is the router's to refuse
  if (!isObject(obj) || (info.namespaced && requestNamespace === undefined)) return;
  const meta = objectAt(obj, 'metadata');
  const expected = info.namespaced ? (requestNamespace ?? '') : '';
  const actual = typeof meta.namespace === 'string' ? meta.namespace : '';
  if (actual === expected) return;
  if (actual === '' || !info.namespaced) {
    if (expected) meta.namespace = expected;
    else delete meta.namespace;
    return;
  }
  throw new NamespaceMismatchError();
}
