/**
 * The base of every bootkube command: `--json` on every command, and one place where errors turn
 * into one line on stderr (or a JSON error object) and an exit code.
 */
import { Command } from '@oclif/core';
import { describeError } from './exit-codes.js';

export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true;

  protected override async catch(err: Error & { oclif?: { exit?: number } }): Promise<unknown> {
    // oclif's own exit (this.exit()) and help requests carry their code already.
    if (err?.constructor?.name === 'ExitError' || err?.constructor?.name === 'HelpError') throw err;
    const d = describeError(err);
    if (this.jsonEnabled()) {
      this.logJson({ error: { code: d.code, message: d.message, ...(d.hint ? { hint: d.hint } : {}) } });
    } else {
      process.stderr.write(`Error: ${d.line}\n`);
      if (d.code === 'INTERNAL' && process.env.BOOTKUBE_DEBUG) process.stderr.write(`${err.stack}\n`);
      else if (d.code === 'INTERNAL') process.stderr.write('This is a bug in bootkube; run again with BOOTKUBE_DEBUG=1 for the stack trace.\n');
    }
    process.exitCode = d.exitCode;
    return undefined;
  }
}
