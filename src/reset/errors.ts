/**
 * The errors of src/reset. Bad input (exit 2): the root dir, a missing confirmation. Failures at run
 * time (exit 1): bootkube or an apiserver still running on the node, the user declining.
 */
import { InputError, RuntimeError } from '../errors.js';

/** `--root-dir` does not exist or is not a directory. */
export class ResetRootDirError extends InputError {
  readonly code = 'RESET_ROOT_DIR_INVALID';
}

/** Removing needs a yes: stdin is not a terminal to ask on, and `--force` was not given. */
export class ResetNeedsConfirmationError extends InputError {
  readonly code = 'RESET_NEEDS_CONFIRMATION';
}

/** The user answered no. */
export class ResetAbortedError extends RuntimeError {
  readonly code = 'RESET_ABORTED';
}

/** A process holds or waits on one of bootkube's locks: an apiserver, the checkpointer or bootkube itself still runs. */
export class ResetBusyError extends RuntimeError {
  readonly code = 'RESET_BUSY';
}
