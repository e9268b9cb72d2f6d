import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { parseDuration } from '../cli/duration.js';

export default class Checkpoint extends BaseCommand {
  static override summary = 'Run the pod checkpointer: keep static-pod copies of the control plane so a master reboots with no API server.';
  static override description = `The daemon render's pod-checkpointer DaemonSet runs on every master. Every interval it checkpoints the pods annotated checkpointer.alpha.coreos.com/checkpoint=true that run on this node (with their secrets, config maps and service-account tokens), starts a checkpoint as a static pod when its parent stops running per the container runtime, and steps it down as soon as the parent (or a newer pod of the same controller) runs again. One checkpointer per node (flock on --lock-file). Needs NODE_NAME, POD_NAME and POD_NAMESPACE in its environment. Stops cleanly on SIGTERM or SIGINT.`;

  static override examples = [
    'NODE_NAME=master-0 POD_NAME=pod-checkpointer-x1 POD_NAMESPACE=kube-system <%= config.bin %> checkpoint --checkpoint-grace-period 5m',
  ];

  static override flags = {
    'root-dir': Flags.string({ description: 'prefix of every host path it reads, writes and locks', default: '/' }),
    kubeconfig: Flags.string({ description: "the node's kubelet kubeconfig [default: <root-dir>/etc/kubernetes/kubeconfig]" }),
    'lock-file': Flags.string({ description: 'the one-per-node lock [default: <root-dir>/var/lock/bootkube/pod-checkpointer.lock]' }),
    'container-runtime-endpoint': Flags.string({ description: 'CRI socket', default: 'unix:///run/containerd/containerd.sock' }),
    'checkpoint-grace-period': Flags.string({ description: 'how long a checkpoint whose parent was deleted is kept', default: '1m' }),
    interval: Flags.string({ description: 'time between two passes', default: '5s' }),
    'kubelet-port': Flags.integer({ description: "the kubelet's authenticated port, for its /pods", default: 10250 }),
  };

  async run(): Promise<{ stopped: true }> {
    const { flags } = await this.parse(Checkpoint);
    const gracePeriodMs = parseDuration(flags['checkpoint-grace-period'], '--checkpoint-grace-period');
    const intervalMs = parseDuration(flags.interval, '--interval');
    // Loaded here, not at the top: oclif may import this module just to list commands.
    const { abortOnSignals, identityFromEnv, runCheckpointer } = await import('../checkpointer/index.js');
    identityFromEnv(process.env);
    const log = {
      info: (m: string) => process.stderr.write(`${new Date().toISOString()} ${m}\n`),
      warn: (m: string) => process.stderr.write(`${new Date().toISOString()} WARNING ${m}\n`),
    };
    await runCheckpointer({
      rootDir: flags['root-dir'],
      kubeconfig: flags.kubeconfig,
      lockFile: flags['lock-file'],
      containerRuntimeEndpoint: flags['container-runtime-endpoint'],
      gracePeriodMs,
      intervalMs,
      kubeletPort: flags['kubelet-port'],
      log,
      signal: abortOnSignals(),
    });
    return { stopped: true };
  }
}
