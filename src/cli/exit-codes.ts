/**
 * The one table from errors to exit codes and to the single line a user sees.
 * 0 success, 1 failure at run time, 2 bad input.
 */
import { BootkubeError, InputError } from '../errors.js';

export const EXIT = { ok: 0, failure: 1, badInput: 2 } as const;

export interface DescribedError {
  exitCode: number;
  code: string;
  message: string;
  hint?: string;
  /** Lines of diagnosis, printed before the error line. */
  details?: string[];
  /** The whole user-facing line, without the `Error: ` prefix. */
  line: string;
}

interface OclifLikeError {
  oclif?: { exit?: number };
  message: string;
}

/** Classifies any thrown value: known errors by their class, oclif's flag errors as bad input, the rest as failures. */
export function describeError(err: unknown): DescribedError {
  if (err instanceof BootkubeError) {
    return {
      exitCode: err instanceof InputError ? EXIT.badInput : EXIT.failure,
      code: err.code,
      message: err.message,
      hint: err.hint,
      details: err.details,
      line: err.userMessage(),
    };
  }
  const e = err as OclifLikeError;
  const message = oneLine(e?.message ?? String(err));
  if (e?.oclif?.exit === 2) {
    return {
      exitCode: EXIT.badInput,
      code: 'BAD_FLAGS',
      message,
      hint: 'see --help',
      line: `${message} (see --help)`,
    };
  }
  return { exitCode: EXIT.failure, code: 'INTERNAL', message, line: message };
}

function oneLine(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^See more help with/.test(l))
    .join('; ');
}
