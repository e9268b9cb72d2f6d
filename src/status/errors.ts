/**
 * The errors of src/status, shared by every command that talks to a running cluster through a
 * kubeconfig (`status`, `certs … --kubeconfig`). Bad input (exit 2): a kubeconfig that is missing,
 * does not parse, or whose CA or credentials the API refuses. Failures at run time (exit 1): an API
 * that does not answer, or answers with an error.
 */
import { InputError, RuntimeError } from '../errors.js';

/** The kubeconfig is missing or unusable, or the API refuses what it holds (wrong CA, credentials). */
export class ClusterKubeconfigError extends InputError {
  readonly code = 'CLUSTER_KUBECONFIG_INVALID';
}

/** The API the kubeconfig names did not answer, or answered a request with an error. */
export class ClusterApiError extends RuntimeError {
  readonly code = 'CLUSTER_API_FAILED';
}
