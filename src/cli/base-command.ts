/**
 * The base of every bootkube command: `--json` on every command, and one place where errors turn
 * into one line on stderr (or a JSON error object) and an exit code.
 */
import { Command } from '@oclif/core';
import { describeError } from './exit-codes.js';

export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true;

  public override async init(): Promise<void> {
    silenceIpServernameWarning();
    await super.init();
  }

  protected override async catch(err: Error & { oclif?: { exit?: number } }): Promise<unknown> {
    // oclif's own exit (this.exit()) and help requests carry their code already.
    if (err?.constructor?.name === 'ExitError' || err?.constructor?.name === 'HelpError') throw err;
    const d = describeError(err);
    if (this.jsonEnabled()) {
      this.logJson({
        error: {
          code: d.code,
          message: d.message,
          ...(d.hint ? { hint: d.hint } : {}),
          ...(d.details ? { details: d.details } : {}),
        },
      });
    } else {
      for (const line of d.details ?? []) process.stderr.write(`  ${line}\n`);
      process.stderr.write(`Error: ${d.line}\n`);
      if (d.code === 'INTERNAL' && process.env.BOOTKUBE_DEBUG) process.stderr.write(`${err.stack}\n`);
      else if (d.code === 'INTERNAL')
        process.stderr.write(
          'This is a bug in bootkube; run again with BOOTKUBE_DEBUG=1 for the stack trace.\n',
        );
    }
    process.exitCode = d.exitCode;
    return undefined;
  }
}

/**
 * grpc-js (under etcd3) sets the TLS servername to the endpoint's host, which Node warns about when
 * it is an IP (DEP0123) on every connection: noise for an operator whose etcd is https://10.0.0.10:2379.
 * The certificate is still verified against the IP; only that one warning is dropped.
 */
function silenceIpServernameWarning(): void {
  const emit = process.emitWarning as (...args: unknown[]) => void;
  if ((emit as { bootkube?: boolean }).bootkube) return;
  const filtered = (...args: unknown[]) => {
    if (args.includes('DEP0123')) return;
    emit.apply(process, args);
  };
  (filtered as { bootkube?: boolean }).bootkube = true;
  process.emitWarning = filtered as typeof process.emitWarning;
}
