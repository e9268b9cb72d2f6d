/**
 * The registry's error catalogue. The handlers map codes to Status objects in one table:
 *
 * | code                 | Status the handler layer sends                            |
 * |----------------------|-----------------------------------------------------------|
 * | NAMESPACE_MISMATCH   | 400 BadRequest (the body's namespace is not the URL's)     |
 * | ADMISSION_FORBIDDEN  | 403 Forbidden (an admission plugin refused the object)     |
 * | REGISTRY_MISUSE      | 500 InternalError (a key for what has none, a missing hook: a bug) |
 *
 * Validation failures are not errors here: validate() returns causes for a 422 Invalid.
 */
import { InputError, RuntimeError } from '../../errors.js';

/** The object's metadata.namespace differs from the request's (rest.EnsureObjectNamespaceMatchesRequestNamespace). */
export class NamespaceMismatchError extends InputError {
  readonly code = 'NAMESPACE_MISMATCH';
  constructor() {
    // kube-apiserver's wording, which clients show as it is
    super('the namespace of the provided object does not match the namespace sent on the request');
  }
}

/** An admission plugin refused the object; the message is the plugin's, as kube-apiserver words it. */
export class AdmissionForbiddenError extends InputError {
  readonly code = 'ADMISSION_FORBIDDEN';
  constructor(
    /** The plugin, as kube-apiserver names it (Priority, ServiceAccount). */
    readonly plugin: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The caller used the registry wrongly: a storage key for what has none (a virtual review, a
 * namespaced resource without namespace), or a create that needs an allocation hook it was not given.
 */
export class RegistryUsageError extends RuntimeError {
  readonly code = 'REGISTRY_MISUSE';
}
