import { createInterface } from 'node:readline/promises';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { EXIT } from '../cli/exit-codes.js';
import {
  apply,
  formatPlan,
  formatResult,
  plan,
  ResetAbortedError,
  refuseIfBusy,
  ResetNeedsConfirmationError,
  type ResetPlan,
  type ResetResult,
} from '../reset/index.js';

export default class Reset extends BaseCommand {
  static override summary = 'Remove from a node what bootkube put there.';
  static override description = `Lists, then removes: the bootstrap secrets (/etc/kubernetes/bootstrap-secrets), the pod checkpoints (/etc/kubernetes/{inactive-manifests,checkpoint-secrets,checkpoint-configmaps}), the static pods bootkube wrote into /etc/kubernetes/manifests (its bootstrap pods, and checkpoints by their checkpointer.alpha.coreos.com/checkpoint-of annotation) and its lock files (/var/lock/bootkube). Never etcd's data, never another static pod.

Asks "Remove these N paths? [y/N]" on a terminal; without one, --force is required. Refuses while an apiserver, the checkpointer or bootkube still holds one of its locks.`;

  static override examples = [
    '<%= config.bin %> reset',
    '<%= config.bin %> reset --root-dir /mnt/node-0 --force --json',
  ];

  static override flags = {
    'root-dir': Flags.string({
      description: "the node's root: every host path is taken under it",
      default: '/',
      env: 'BOOTKUBE_ROOT_DIR',
    }),
    force: Flags.boolean({ description: 'remove without asking' }),
  };

  async run(): Promise<{ plan: ResetPlan; result?: ResetResult }> {
    const { flags } = await this.parse(Reset);
    const p = await plan(flags['root-dir']);
    const human = !this.jsonEnabled();
    if (human) this.log(formatPlan(p));
    if (p.entries.length === 0) return { plan: p };
    refuseIfBusy(p.busyLocks);
    if (!flags.force) await this.confirm(p.entries.length);
    const result = await apply(p);
    if (human) this.log(formatResult(result));
    if (result.kept.length > 0) process.exitCode = EXIT.failure;
    return { plan: p, result };
  }

  private async confirm(count: number): Promise<void> {
    if (!process.stdin.isTTY) {
      throw new ResetNeedsConfirmationError(
        `reset needs a yes to remove the ${count} listed path${count === 1 ? '' : 's'}, and stdin is not a terminal to ask on`,
        {
          hint: 'pass --force to remove them without asking',
        },
      );
    }
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      const answer = await rl.question(
        `Remove ${count === 1 ? 'this path' : `these ${count} paths`}? [y/N] `,
      );
      if (!/^y(es)?$/i.test(answer.trim())) throw new ResetAbortedError('reset aborted: nothing was removed');
    } finally {
      rl.close();
    }
  }
}
