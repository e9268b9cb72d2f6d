import { InputError, RuntimeError } from '../errors.js';

/** The hand-off lock is held by someone else (an apiserver, another bootkube). */
export class LockHeldError extends RuntimeError {
  readonly code = 'LOCK_HELD';
}

/** The lock file or its directory cannot be created or opened. */
export class LockFileError extends InputError {
  readonly code = 'LOCK_FILE_UNUSABLE';
}

/** `flock` from util-linux is not installed: the hand-off lock cannot be taken. */
export class LockToolMissingError extends InputError {
  readonly code = 'LOCK_TOOL_MISSING';
}

/** Another `bootkube start` is running on the same asset dir. */
export class RunLockedError extends InputError {
  readonly code = 'ALREADY_RUNNING';
}

/** lockexec cannot be built here (no gcc, or the compile failed). */
export class LockexecBuildError extends InputError {
  readonly code = 'LOCKEXEC_BUILD_FAILED';
}
