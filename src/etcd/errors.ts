import { InputError, RuntimeError } from '../errors.js';

/** The `etcd` binary is not installed: a private etcd cannot be started. */
export class EtcdMissingError extends InputError {
  readonly code = 'ETCD_MISSING';
}

/** A private etcd did not come up (its log's last lines are in the message). */
export class EtcdStartError extends RuntimeError {
  readonly code = 'ETCD_START_FAILED';
}
