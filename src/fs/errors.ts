import { InputError, RuntimeError } from '../errors.js';

/** The output directory is in the way: not empty without --force, a file, or not writable. */
export class OutputDirError extends InputError {
  readonly code = 'OUTPUT_DIR_UNUSABLE';
}

/** Writing failed part-way (disk full, I/O error); nothing was changed at the target. */
export class WriteError extends RuntimeError {
  readonly code = 'WRITE_FAILED';
}
