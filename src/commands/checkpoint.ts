import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import {
  CHECKPOINT_FLAGS,
  checkpointerOptions,
  type CheckpointFlag,
  type CheckpointFlags,
} from '../checkpointer/flags.js';

// The flags from the table the lean entry (src/checkpointer/main.ts) reads too.
const flags = Object.fromEntries(
  Object.entries(CHECKPOINT_FLAGS).map(([name, f]: [string, CheckpointFlag]) => [
    name,
    Flags.string({ description: f.description, ...(f.default !== undefined ? { default: f.default } : {}) }),
  ]),
) as { [K in keyof typeof CHECKPOINT_FLAGS]: ReturnType<typeof Flags.string> };

export default class Checkpoint extends BaseCommand {
  static override summary =
    'Run the pod checkpointer: keep static-pod copies of the control plane so a master reboots with no API server.';
  static override description = `The daemon render's pod-checkpointer DaemonSet runs on every master. Every interval it checkpoints the pods annotated checkpointer.alpha.coreos.com/checkpoint=true that run on this node (with their secrets, config maps and service-account tokens), starts a checkpoint as a static pod when its parent stops running per the container runtime, and steps it down as soon as the parent (or a newer pod of the same controller) runs again: at the next pass, which comes after 500 ms while a checkpoint stands in for a parent the kubelet is starting. One checkpointer per node (flock on --lock-file). Needs NODE_NAME, POD_NAME and POD_NAMESPACE in its environment. Stops cleanly on SIGTERM or SIGINT. The installed \`bootkube checkpoint\` runs without the CLI framework (to stay within its memory budget) unless --help or --json is given.`;

  static override examples = [
    'NODE_NAME=master-0 POD_NAME=pod-checkpointer-x1 POD_NAMESPACE=kube-system <%= config.bin %> checkpoint --checkpoint-grace-period 5m',
  ];

  static override flags = flags;

  async run(): Promise<{ stopped: true }> {
    const { flags: given } = await this.parse(Checkpoint);
    // Loaded here, not at the top: oclif may import this module just to list commands.
    const { abortOnSignals, runCheckpointer } = await import('../checkpointer/index.js');
    const { stderrLog } = await import('../checkpointer/main.js');
    await runCheckpointer(
      checkpointerOptions(given as CheckpointFlags, process.env, stderrLog, abortOnSignals()),
    );
    return { stopped: true };
  }
}
