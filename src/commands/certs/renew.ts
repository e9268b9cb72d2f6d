import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { EXIT } from '../../cli/exit-codes.js';
import {
  formatClusterRenewal,
  formatRenewal,
  parseDuration,
  renew,
  renewCluster,
  type ClusterRenewResult,
  type RenewResult,
} from '../../certs/index.js';
import { openCluster } from '../../status/index.js';

export default class CertsRenew extends BaseCommand {
  static override summary =
    "Renew certificates of an asset dir from the asset dir's own CAs, and of the running cluster with --kubeconfig.";
  static override description = `Reissues each named certificate (as \`certs check-expiration\` names it: apiserver, admin, etcd/server, …), or every leaf with --all, signed by its CA's key in the asset dir. Subject, SANs, key usages and extended key usages are read from the existing certificate and kept; so is the key, unless --new-key. Every copy in auth/ kubeconfigs and manifests/ Secrets is updated too, and the asset dir is replaced as a whole: an interrupted renew leaves the old one or the new one, never a mix.

With --kubeconfig, the renewed certificates are then installed in the running cluster: every copy in the control plane's Secrets (kube-system/kube-apiserver, kube-controller-manager, kube-scheduler) is replaced, the components whose Secret changed are rolled (the apiserver DaemonSet with a surge of one, so the new apiserver waits on the hand-off lock while the old one serves), and renew waits until they run with it and the API serves the new apiserver certificate (--timeout). The asset dir must be the cluster's (same CA). Certificates in no Secret (admin, kubelet, etcd's) are installed by hand.

A CA (ca, front-proxy-ca, etcd/ca) is never renewed implicitly: name it together with --renew-ca, and every certificate it signed is renewed with it (asset dir only: never with --kubeconfig). A certificate whose CA has no key in the asset dir (your own etcd PKI) is refused (skipped, with --all).`;

  static override examples = [
    '<%= config.bin %> certs renew apiserver --asset-dir assets',
    '<%= config.bin %> certs renew --all --asset-dir assets',
    '<%= config.bin %> certs renew --all --asset-dir assets --kubeconfig assets/auth/kubeconfig',
    '<%= config.bin %> certs renew ca --renew-ca --asset-dir assets',
  ];

  static override strict = false;
  static override args = {
    name: Args.string({
      description: 'certificates to renew (repeatable): apiserver, admin, kubelet, etcd/server, …',
    }),
  };

  static override flags = {
    'asset-dir': Flags.string({
      description: 'the asset dir `bootkube render` wrote',
      env: 'BOOTKUBE_ASSET_DIR',
    }),
    all: Flags.boolean({ description: 'renew every leaf certificate (never a CA)' }),
    'renew-ca': Flags.boolean({
      description: 'allow renewing the CAs named, and every certificate each signed (not with --kubeconfig)',
    }),
    'new-key': Flags.boolean({ description: 'give every renewed certificate a new key of the same type' }),
    kubeconfig: Flags.string({
      description: 'also install the renewed certificates in the running cluster of this admin kubeconfig',
    }),
    timeout: Flags.string({
      description: 'with --kubeconfig: how long the rollouts may take in all',
      default: '5m',
    }),
  };

  async run(): Promise<RenewResult | ClusterRenewResult> {
    const { flags, argv } = await this.parse(CertsRenew);
    const assetDir = flags['asset-dir'];
    if (!assetDir) this.error('Missing required flag --asset-dir', { exit: EXIT.badInput });
    const names = argv as string[];
    if (flags.all && names.length > 0)
      this.error('give certificate names or --all, not both', { exit: EXIT.badInput });
    const selection = flags.all ? 'all' : names;
    const opts = { renewCa: flags['renew-ca'], newKey: flags['new-key'] };
    if (!flags.kubeconfig) {
      const result = await renew(assetDir, selection, new Date(), opts);
      if (!this.jsonEnabled()) this.log(formatRenewal(result));
      return result;
    }
    const timeoutMs = parseDuration(flags.timeout, '--timeout');
    const cluster = await openCluster(flags.kubeconfig);
    try {
      const result = await renewCluster(cluster, assetDir, selection, new Date(), {
        ...opts,
        timeoutMs,
        progress: this.jsonEnabled() ? undefined : (line) => process.stderr.write(`${line}\n`),
      });
      if (!this.jsonEnabled()) this.log(formatClusterRenewal(result));
      return result;
    } finally {
      cluster.close();
    }
  }
}
