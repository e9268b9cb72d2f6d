import { InputError, RuntimeError } from '../errors.js';

/** NODE_NAME, POD_NAME or POD_NAMESPACE is missing: the DaemonSet must set them from the downward API. */
export class CheckpointerEnvError extends InputError {
  readonly code = 'CHECKPOINTER_ENV_MISSING';
}

/** A pod cannot be turned into a static pod (e.g. it mounts a PersistentVolumeClaim). */
export class UncheckpointablePodError extends RuntimeError {
  readonly code = 'POD_NOT_CHECKPOINTABLE';
}

/** The pod's containers disagree on the user to run as, so its secret files cannot be owned by one user. */
export class ConflictingSecurityContextError extends RuntimeError {
  readonly code = 'CONFLICTING_SECURITY_CONTEXTS';
}

/** A pod source did not answer usefully: an error, a timeout, an answer too old to trust. */
export class PodSourceError extends RuntimeError {
  readonly code = 'POD_SOURCE_UNAVAILABLE';
}

/** The checkpoint dirs cannot be created or read: nothing can be checkpointed. */
export class CheckpointStoreError extends RuntimeError {
  readonly code = 'CHECKPOINT_STORE_UNUSABLE';
}

/** The one-per-node lock was lost while the checkpointer ran (its holder process died). */
export class CheckpointerLockLostError extends RuntimeError {
  readonly code = 'CHECKPOINTER_LOCK_LOST';
}
