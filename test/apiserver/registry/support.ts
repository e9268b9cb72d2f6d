// Shared bits of the registry tests: the module under test and error predicates for assert.throws.
import {
  AdmissionForbiddenError,
  NamespaceMismatchError,
  RegistryUsageError,
  createRegistry,
  type ResourceInfo,
} from '../../../src/apiserver/registry/index.js';

export * from '../../../src/apiserver/registry/index.js';

export const isRegistryUsage = (err: unknown) =>
  err instanceof RegistryUsageError && err.code === 'REGISTRY_MISUSE';
export const isNamespaceMismatch = (err: unknown) =>
  err instanceof NamespaceMismatchError && err.code === 'NAMESPACE_MISMATCH';

/** assert.throws predicate: an admission refusal by plugin with exactly message. */
export function isForbidden(plugin: string, message: string) {
  return (err: unknown) =>
    err instanceof AdmissionForbiddenError && err.plugin === plugin && err.message === message;
}

const shared = createRegistry();

/** A built-in resource by apiVersion and plural ('apps/v1', 'deployments'). */
export function resource(apiVersion: string, plural: string): ResourceInfo {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const info = shared.lookup(group, version, plural);
  if (!info) throw new Error(`${apiVersion} ${plural} is not served`);
  return info;
}

/** Create options that make the server-set fields predictable. */
export const FIXED = {
  now: new Date('2024-05-01T10:00:00.123Z'),
  uid: () => '11111111-2222-3333-4444-555555555555',
};
export const CREATED = {
  uid: '11111111-2222-3333-4444-555555555555',
  creationTimestamp: '2024-05-01T10:00:00Z',
};
