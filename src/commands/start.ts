import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { etcdAccessFromFlags, etcdFlags } from '../cli/etcd-flags.js';
import { parseDuration } from '../cli/duration.js';
import { abortOnSignals } from '../checkpointer/abort.js';
import { StartFlagError } from '../bootstrap/errors.js';
import { DEFAULT_REQUIRED_PODS, DEFAULT_TIMEOUTS, PHASES, type Phase } from '../bootstrap/options.js';
import type { StartSummary } from '../bootstrap/start.js';
import type { RehearsalSummary } from '../bootstrap/rehearsal.js';
import { formatSummary } from '../bootstrap/summary.js';

export default class Start extends BaseCommand {
  static override summary =
    'Bring up the self-hosted control plane on the first master (or rehearse it with --simulate).';
  static override description = `Runs the bootstrap sequence: preflight; take the API hand-off lock; serve a temporary API (the shim) on the API address for the local kubelet; create the bootstrap control-plane pods; hand the API over to the bootstrap apiserver through the lock; create the self-hosted control plane (manifests/); wait for it; hand over to the self-hosted apiserver; verify. Run it on the first master, where etcd and the kubelet (the rendered unit) already run.

Every step can be interrupted and \`start\` run again: it works out from etcd, the lock and the API where it is and goes on. Existing objects are left as they are (reported when they differ, replaced with --update-existing).

--simulate rehearses the whole sequence on this machine: a simulated master whose kubelet runs stand-ins for the control-plane containers, and the real sequence against them. The objects live in the etcd given with --etcd-servers, else in a private etcd when etcd is installed (the apiserver stand-ins are then real processes behind the real lockexec), else in memory (the stand-ins serve it from this process; the real lockexec still takes the lock). Without --asset-dir it renders one for loopback (and the given etcd) first. It needs gcc (to build lockexec).`;

  static override examples = [
    '<%= config.bin %> start --asset-dir /home/core/assets',
    '<%= config.bin %> start --simulate',
    '<%= config.bin %> start --simulate --json',
  ];

  static override flags = {
    'asset-dir': Flags.string({
      description: 'the asset dir render (or recover) wrote [required unless --simulate]',
      env: 'BOOTKUBE_ASSET_DIR',
    }),
    ...etcdFlags,
    'root-dir': Flags.string({
      description:
        'prefix of every host path (/etc/kubernetes, /var/lock/bootkube); with --simulate, where the simulated nodes live (kept)',
      default: '/',
    }),
    'node-name': Flags.string({
      description: "this master's node name [default: the kubelet kubeconfig's certificate]",
    }),
    'required-pods': Flags.string({
      description: 'comma-separated namespace/name-prefix of pods that must be Ready at the end',
      default: DEFAULT_REQUIRED_PODS.join(','),
    }),
    strict: Flags.boolean({
      description: 'fail when the API refuses any object (default: report it and go on)',
      default: false,
    }),
    'update-existing': Flags.boolean({
      description: 'replace existing objects that differ from the asset dir',
      default: false,
    }),
    timeout: Flags.string({
      description: 'limit of each phase, e.g. 90s or 10m [default: per phase, 30s to 10m]',
    }),
    simulate: Flags.boolean({
      description: 'rehearse the whole bootstrap on this machine with simulated nodes',
      default: false,
    }),
  };

  async run(): Promise<StartSummary | RehearsalSummary> {
    const { flags } = await this.parse(Start);
    const perPhase = flags.timeout ? parseDuration(flags.timeout, '--timeout') : undefined;
    const timeouts = Object.fromEntries(PHASES.map((p) => [p, perPhase ?? DEFAULT_TIMEOUTS[p]])) as Record<
      Phase,
      number
    >;
    const requiredPods = flags['required-pods']
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const r of requiredPods) {
      if (!/^[a-z0-9-]+\/[a-z0-9.-]+$/.test(r))
        throw new StartFlagError(`--required-pods: "${r}" is not namespace/name-prefix`, {
          hint: 'e.g. kube-system/kube-apiserver',
        });
    }
    const etcd = etcdAccessFromFlags(flags);
    const signal = abortOnSignals();
    const json = this.jsonEnabled();
    const common = {
      requiredPods,
      strict: flags.strict,
      updateExisting: flags['update-existing'],
      timeouts,
      signal,
      nodeName: flags['node-name'],
    };

    let summary: StartSummary | RehearsalSummary;
    if (flags.simulate) {
      const { runRehearsal } = await import('../bootstrap/rehearsal.js');
      summary = await runRehearsal(
        {
          ...common,
          etcd,
          assetDir: flags['asset-dir'],
          workDir: flags['root-dir'] === '/' ? undefined : flags['root-dir'],
          bootkubeVersion: this.config.version,
        },
        { json },
      );
    } else {
      if (!flags['asset-dir'])
        throw new StartFlagError('--asset-dir is required', {
          hint: 'give the dir `bootkube render` wrote, or rehearse with --simulate',
        });
      const { runStart } = await import('../bootstrap/start.js');
      summary = await runStart(
        { ...common, assetDir: flags['asset-dir'], rootDir: flags['root-dir'], etcd },
        { json },
      );
    }
    if (!json) {
      this.log(formatSummary(summary));
      if ('rehearsal' in summary)
        this.log(
          `\nrehearsed on ${summary.rehearsal.store === 'memory' ? 'the memory back end (no etcd)' : `etcd ${summary.rehearsal.store}`}, asset dir ${summary.rehearsal.assetDir}`,
        );
    }
    return summary;
  }
}
