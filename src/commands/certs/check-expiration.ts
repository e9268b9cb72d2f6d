import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import {
  checkClusterExpiration,
  checkExpiration,
  formatClusterExpirationReport,
  formatExpirationReport,
  parseDuration,
  type ClusterExpirationReport,
  type ExpirationReport,
} from '../../certs/index.js';
import { EXIT } from '../../cli/exit-codes.js';
import { openCluster } from '../../status/index.js';

export default class CertsCheckExpiration extends BaseCommand {
  static override summary = 'Show when every certificate of an asset dir, or of a running cluster, expires.';
  static override description = `With --asset-dir: lists every certificate under tls/ with its subject, expiry and remaining time, and checks the copies embedded in auth/ kubeconfigs and manifests/ Secrets against them (a copy that differs is shown and warned about).

With --kubeconfig: the same table for a running cluster: every certificate in the control plane's Secrets (kube-system/kube-apiserver, kube-controller-manager, kube-scheduler, including the kubeconfigs nested in them), the certificate the API serves, and the CA the kubeconfig trusts; one row per distinct certificate, and a warning where copies that should be one certificate differ.

Under 30 days left is a warning. Exits 1 when any certificate expires within --fail-within (default 0: only when one has expired), so a cron job or CI can alert.`;

  static override examples = [
    '<%= config.bin %> certs check-expiration --asset-dir assets',
    '<%= config.bin %> certs check-expiration --asset-dir assets --fail-within 30d --json',
    '<%= config.bin %> certs check-expiration --kubeconfig assets/auth/kubeconfig --fail-within 30d',
  ];

  static override flags = {
    'asset-dir': Flags.string({
      description: 'the asset dir `bootkube render` wrote',
      env: 'BOOTKUBE_ASSET_DIR',
    }),
    kubeconfig: Flags.string({
      description: 'a running cluster instead: its admin kubeconfig (e.g. assets/auth/kubeconfig)',
    }),
    'fail-within': Flags.string({
      description:
        'exit 1 when a certificate expires within this duration: 0 (expired only), 30d, 12h, 1d12h',
      default: '0',
    }),
  };

  async run(): Promise<ExpirationReport | ClusterExpirationReport> {
    const { flags } = await this.parse(CertsCheckExpiration);
    const assetDir = flags['asset-dir'];
    if (assetDir && flags.kubeconfig)
      this.error('give --asset-dir or --kubeconfig, not both', { exit: EXIT.badInput });
    if (!assetDir && !flags.kubeconfig)
      this.error('Missing required flag --asset-dir (or --kubeconfig for a running cluster)', {
        exit: EXIT.badInput,
      });
    const failWithin = {
      text: flags['fail-within'],
      ms: parseDuration(flags['fail-within'], '--fail-within'),
    };
    let report: ExpirationReport | ClusterExpirationReport;
    if (flags.kubeconfig) {
      const cluster = await openCluster(flags.kubeconfig);
      try {
        report = await checkClusterExpiration(cluster, new Date(), failWithin);
      } finally {
        cluster.close();
      }
      if (!this.jsonEnabled()) this.log(formatClusterExpirationReport(report));
    } else {
      report = await checkExpiration(assetDir!, new Date(), failWithin);
      if (!this.jsonEnabled()) this.log(formatExpirationReport(report));
    }
    if (report.failing.length > 0) process.exitCode = EXIT.failure;
    return report;
  }
}
