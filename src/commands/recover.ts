import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { printTree } from '../cli/tree.js';
import { HOST_PATHS } from '../render/constants.js';
import {
  DEFAULT_SELECTORS,
  recover,
  RecoveryFlagsError,
  type RecoverResult,
  type RecoverySource,
} from '../recovery/index.js';

export default class Recover extends BaseCommand {
  static override summary =
    'Rebuild a bootstrap asset dir from a cluster whose control plane is lost, for start to run.';
  static override description = `Reads the self-hosted control plane (the kube-apiserver DaemonSet, the kube-controller-manager and kube-scheduler Deployments, and the Secrets they mount) from exactly one source, and writes an asset dir like render's: bootstrap-manifests/ (bootstrap pods with the same images, flags and volumes), manifests/ (the objects as the cluster holds them), tls/ and auth/. Then run: bootkube start --asset-dir DIR.

Sources: --etcd-servers (the cluster's etcd), --etcd-backup-file (an etcd v3 snapshot, restored into a private etcd on loopback that is removed afterwards), --kubeconfig (an apiserver that still answers) or --checkpoint-dir (a master's pod checkpoints). Nothing is ever written to the source.

The admin kubeconfig is issued with the cluster CA's key from the controller-manager's Secret, unless --admin-kubeconfig (or an admin --kubeconfig source) gives one. The kubelet kubeconfig is this master's (${HOST_PATHS.kubeletKubeconfig}, or --kubelet-kubeconfig), or issued for --node-name.`;

  static override examples = [
    '<%= config.bin %> recover --recovery-dir recovered --etcd-servers https://10.0.0.10:2379 --etcd-ca-path assets/tls/etcd/ca.crt --etcd-certificate-path assets/tls/apiserver-etcd-client.crt --etcd-private-key-path assets/tls/apiserver-etcd-client.key',
    '<%= config.bin %> recover --recovery-dir recovered --etcd-backup-file snapshot.db',
    '<%= config.bin %> recover --recovery-dir recovered --kubeconfig assets/auth/kubeconfig',
    '<%= config.bin %> recover --recovery-dir recovered --checkpoint-dir /etc/kubernetes --admin-kubeconfig assets/auth/kubeconfig',
  ];

  static override flags = {
    'recovery-dir': Flags.string({
      description: 'directory to write (must not exist or be empty, unless --force)',
    }),
    force: Flags.boolean({ description: 'replace an existing non-empty recovery dir' }),
    'etcd-servers': Flags.string({ description: "source: the cluster's etcd, comma-separated URLs" }),
    'etcd-ca-path': Flags.string({ description: "etcd's CA certificate (https:// servers)" }),
    'etcd-certificate-path': Flags.string({ description: 'etcd client certificate' }),
    'etcd-private-key-path': Flags.string({ description: 'etcd client key' }),
    'etcd-prefix': Flags.string({
      description: "key prefix of the Kubernetes data (kube-apiserver's --etcd-prefix)",
      default: '/registry',
    }),
    'etcd-backup-file': Flags.string({ description: 'source: an etcd v3 snapshot (etcdctl snapshot save)' }),
    kubeconfig: Flags.string({ description: 'source: a kubeconfig of an apiserver that still answers' }),
    'checkpoint-dir': Flags.string({
      description: `source: the dir holding a master's inactive-manifests/, checkpoint-secrets/ and checkpoint-configmaps/ (${HOST_PATHS.kubernetesDir} on the master)`,
    }),
    'apiserver-selector': Flags.string({
      description: 'labels of the apiserver DaemonSet',
      default: DEFAULT_SELECTORS.apiserver,
    }),
    'controller-manager-selector': Flags.string({
      description: 'labels of the controller-manager Deployment',
      default: DEFAULT_SELECTORS.controllerManager,
    }),
    'scheduler-selector': Flags.string({
      description: 'labels of the scheduler Deployment',
      default: DEFAULT_SELECTORS.scheduler,
    }),
    'admin-kubeconfig': Flags.string({
      description:
        "the cluster's admin kubeconfig, for auth/kubeconfig [default: issued with the CA key in the cluster]",
    }),
    'kubelet-kubeconfig': Flags.string({
      description: `this master's kubelet kubeconfig, for auth/kubeconfig-kubelet [default: ${HOST_PATHS.kubeletKubeconfig}]`,
    }),
    'node-name': Flags.string({
      description:
        "issue auth/kubeconfig-kubelet for this node with the cluster CA's key, instead of copying one",
    }),
  };

  async run(): Promise<RecoverResult> {
    const { flags } = await this.parse(Recover);
    const recoveryDir = flags['recovery-dir'];
    if (!recoveryDir) this.error('Missing required flag --recovery-dir', { exit: 2 });
    const result = await recover({
      recoveryDir,
      force: flags.force,
      source: sourceFromFlags(flags),
      selectors: {
        apiserver: flags['apiserver-selector'],
        controllerManager: flags['controller-manager-selector'],
        scheduler: flags['scheduler-selector'],
      },
      adminKubeconfig: flags['admin-kubeconfig'],
      kubeletKubeconfig: flags['kubelet-kubeconfig'],
      nodeName: flags['node-name'],
    });
    if (!this.jsonEnabled()) {
      this.log(`Recovered from ${result.source}${result.revision ? ` at revision ${result.revision}` : ''}:`);
      for (const c of result.components) this.log(`  ${c.from} → ${c.bootstrapPod}`);
      for (const note of result.notes) this.log(`Note: ${note}`);
      if (result.missing.length)
        this.log(
          `Not recovered: ${result.missing.join(', ')}; the recovered dir brings back the apiserver alone.`,
        );
      this.log(printTree(result.recoveryDir, result.files));
      this.log(`Next: bootkube start --asset-dir ${recoveryDir}`);
    }
    return result;
  }
}

type SourceFlags = {
  'etcd-servers'?: string;
  'etcd-ca-path'?: string;
  'etcd-certificate-path'?: string;
  'etcd-private-key-path'?: string;
  'etcd-prefix'?: string;
  'etcd-backup-file'?: string;
  kubeconfig?: string;
  'checkpoint-dir'?: string;
};

const SOURCES = ['etcd-servers', 'etcd-backup-file', 'kubeconfig', 'checkpoint-dir'] as const;

/** Exactly one source, and only its own flags. */
export function sourceFromFlags(flags: SourceFlags): RecoverySource {
  const given = SOURCES.filter((s) => flags[s]);
  if (given.length !== 1) {
    throw new RecoveryFlagsError(
      given.length === 0
        ? 'recover needs a source'
        : `recover reads one source, not ${given.map((s) => `--${s}`).join(' and ')}`,
      { hint: `give exactly one of ${SOURCES.map((s) => `--${s}`).join(', ')}` },
    );
  }
  const tls = ['etcd-ca-path', 'etcd-certificate-path', 'etcd-private-key-path'] as const;
  if (!flags['etcd-servers'] && tls.some((f) => flags[f]))
    throw new RecoveryFlagsError(`--${tls.find((f) => flags[f])} goes with --etcd-servers`, {
      hint: 'drop it, or recover from --etcd-servers',
    });
  if (flags['etcd-servers']) {
    return {
      kind: 'etcd',
      endpoints: flags['etcd-servers']
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      caFile: flags['etcd-ca-path'],
      certFile: flags['etcd-certificate-path'],
      keyFile: flags['etcd-private-key-path'],
      prefix: flags['etcd-prefix'],
    };
  }
  if (flags['etcd-backup-file'])
    return { kind: 'backup', file: flags['etcd-backup-file'], prefix: flags['etcd-prefix'] };
  if (flags.kubeconfig) return { kind: 'apiserver', kubeconfig: flags.kubeconfig };
  return { kind: 'checkpoints', dir: flags['checkpoint-dir']! };
}
