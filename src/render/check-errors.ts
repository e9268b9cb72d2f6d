/**
 * Errors of render's last look at its own output (checks.ts), before anything is written.
 */
import { InputError, type BootkubeErrorOptions } from '../errors.js';

/** A rendered file breaks a rule the bootstrap depends on; the message names the file and the rule. */
export class RenderCheckError extends InputError {
  readonly code = 'RENDER_CHECK_FAILED' as const;
  /** The rendered file, relative to the asset dir. */
  readonly file: string;

  constructor(file: string, problem: string, options: BootkubeErrorOptions = {}) {
    super(`rendered ${file}: ${problem}`, {
      hint:
        options.hint ??
        'check the cluster config values that feed this file; if they are valid, this is a bug in bootkube render',
      cause: options.cause,
    });
    this.file = file;
  }
}
