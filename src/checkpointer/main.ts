/**
 * `bootkube checkpoint` without oclif: the DaemonSet's process on every master has a memory budget
 * (DESIGN.md §9: 60 MiB resident), and the CLI framework alone costs ~15 MiB of it. bin/run.js
 * comes here for `checkpoint` unless help or --json is asked for; the oclif command
 * (src/commands/checkpoint.ts) takes the same flags from the table below, so both read one
 * definition (src/checkpointer/flags.ts), and both end in runCheckpointer.
 */
import { parseArgs } from 'node:util';
import { describeError } from '../cli/exit-codes.js';
import { abortOnSignals } from './abort.js';
import { runCheckpointer } from './daemon.js';
import { CHECKPOINT_FLAGS, CheckpointFlagError, checkpointerOptions, type CheckpointFlags } from './flags.js';
import type { Logger } from './types.js';

/** Log lines on stderr, each with its time. */
export const stderrLog: Logger = {
  info: (m) => process.stderr.write(`${new Date().toISOString()} ${m}\n`),
  warn: (m) => process.stderr.write(`${new Date().toISOString()} WARNING ${m}\n`),
};

/** Runs the daemon from the arguments after `checkpoint`; resolves with the exit code. */
export async function checkpointMain(args: string[]): Promise<number> {
  try {
    const { values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: Object.fromEntries(
        Object.keys(CHECKPOINT_FLAGS).map((name) => [name, { type: 'string' as const }]),
      ),
    }) as { values: CheckpointFlags };
    await runCheckpointer(checkpointerOptions(values, process.env, stderrLog, abortOnSignals()));
    return 0;
  } catch (err) {
    const parseError = (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    const d = describeError(
      parseError
        ? new CheckpointFlagError((err as Error).message, { hint: 'see `bootkube checkpoint --help`' })
        : (err as Error),
    );
    process.stderr.write(`Error: ${d.line}\n`);
    return d.exitCode;
  }
}
