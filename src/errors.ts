/**
 * The base of every error bootkube reports to a user. Each part of the library has its own
 * errors.ts with subclasses that carry a literal `code`; the CLI maps codes to exit codes in one
 * table (src/cli/exit-codes.ts), so a known error never reaches the user as a stack trace.
 */
export interface BootkubeErrorOptions {
  /** What the user can do about it, shown on the same line as the message. */
  hint?: string;
  cause?: unknown;
  /** Lines that explain the error (a diagnosis), shown before the one error line. */
  details?: string[];
}

export abstract class BootkubeError extends Error {
  /** A stable, documented identifier: tests and `--json` consumers match on it. */
  abstract readonly code: string;
  readonly hint?: string;
  readonly details?: string[];

  constructor(message: string, options: BootkubeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
    if (options.details?.length) this.details = options.details;
  }

  /** The one line a user sees: what is wrong, then what to do. */
  userMessage(): string {
    return this.hint ? `${this.message}: ${this.hint}` : this.message;
  }
}

/** Bad input from the user: flags, config files, asset dirs, certificates. Exit code 2. */
export abstract class InputError extends BootkubeError {}

/** A failure at run time that is not the input's fault (I/O, a peer that stopped answering). Exit code 1. */
export abstract class RuntimeError extends BootkubeError {}
