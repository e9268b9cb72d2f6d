import { InputError, RuntimeError } from '../errors.js';

/** The asset dir is missing a file, holds one that does not parse, or contradicts itself. */
export class AssetDirError extends InputError {
  readonly code = 'ASSET_DIR_INVALID';
}

/** A phase of `start` did not finish within its timeout; the message carries the diagnosis. */
export class StartTimeoutError extends RuntimeError {
  readonly code = 'START_TIMEOUT';
}

/** The API refused an object of the asset dir (invalid, forbidden). */
export class ObjectRejectedError extends RuntimeError {
  readonly code = 'OBJECT_REJECTED';
}

/** Something other than an API server of this cluster holds the API port. */
export class ApiPortHeldError extends InputError {
  readonly code = 'API_PORT_HELD';
}

/** The hand-off lock stayed held by someone that is not a serving API server of this cluster. */
export class HandoffLockBusyError extends RuntimeError {
  readonly code = 'HANDOFF_LOCK_BUSY';
}

/** etcd cannot be used with the given endpoints and TLS. */
export class EtcdUnusableError extends InputError {
  readonly code = 'ETCD_UNUSABLE';
}

/** start was interrupted (Ctrl-C, SIGTERM); it can be run again to resume. */
export class StartInterruptedError extends RuntimeError {
  readonly code = 'START_INTERRUPTED';
}

/** A bad flag value of start. */
export class StartFlagError extends InputError {
  readonly code = 'START_FLAG_INVALID';
}
