/**
 * Runs an oclif command in-process the way a user would run it, capturing what it prints and the
 * exit code it sets. process.exitCode is reset afterwards so one test cannot fail the next.
 */
import { fileURLToPath } from 'node:url';
import type { Command } from '@oclif/core';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CommandOutput<T> {
  stdout: string;
  stderr: string;
  exitCode: number;
  result: T | undefined;
}

type Runnable<T> = { run(argv?: string[], opts?: string): Promise<T> } & (abstract new (...args: never[]) => Command);

export async function runCommand<T>(cmd: Runnable<T>, argv: string[]): Promise<CommandOutput<T>> {
  const out: string[] = [];
  const err: string[] = [];
  const origOut = process.stdout.write.bind(process.stdout);
  const origErr = process.stderr.write.bind(process.stderr);
  // node:test's child processes report to the runner through stdout as serialized Buffers, at any
  // moment; commands write strings. Capture the strings, pass the runner's Buffers through.
  const capture = (sink: string[], orig: typeof process.stdout.write) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) =>
      typeof chunk === 'string' ? (sink.push(chunk), true) : (orig as (...a: unknown[]) => boolean)(chunk, ...rest)) as typeof process.stdout.write;
  process.stdout.write = capture(out, origOut);
  process.stderr.write = capture(err, origErr);
  process.exitCode = undefined;
  let result: T | undefined;
  try {
    result = await cmd.run(argv, REPO_ROOT);
  } finally {
    process.stdout.write = origOut;
    process.stderr.write = origErr;
  }
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { stdout: out.join(''), stderr: err.join(''), exitCode, result };
}
