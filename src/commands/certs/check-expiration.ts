import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import {
  checkExpiration,
  formatExpirationReport,
  parseDuration,
  type ExpirationReport,
} from '../../certs/index.js';
import { EXIT } from '../../cli/exit-codes.js';

export default class CertsCheckExpiration extends BaseCommand {
  static override summary = 'Show when every certificate of an asset dir expires.';
  static override description = `Lists every certificate under tls/ with its subject, expiry and remaining time, and checks the copies embedded in auth/ kubeconfigs and manifests/ Secrets against them (a copy that differs is shown and warned about). Under 30 days left is a warning.

Exits 1 when any certificate expires within --fail-within (default 0: only when one has expired), so a cron job or CI can alert.

Works on an asset dir only. Checking a running cluster (--kubeconfig) is not available yet.`;

  static override examples = [
    '<%= config.bin %> certs check-expiration --asset-dir assets',
    '<%= config.bin %> certs check-expiration --asset-dir assets --fail-within 30d --json',
  ];

  static override flags = {
    'asset-dir': Flags.string({
      description: 'the asset dir `bootkube render` wrote',
      env: 'BOOTKUBE_ASSET_DIR',
    }),
    'fail-within': Flags.string({
      description:
        'exit 1 when a certificate expires within this duration: 0 (expired only), 30d, 12h, 1d12h',
      default: '0',
    }),
  };

  async run(): Promise<ExpirationReport> {
    const { flags } = await this.parse(CertsCheckExpiration);
    const assetDir = flags['asset-dir'];
    if (!assetDir) this.error('Missing required flag --asset-dir', { exit: EXIT.badInput });
    const failWithin = {
      text: flags['fail-within'],
      ms: parseDuration(flags['fail-within'], '--fail-within'),
    };
    const report = await checkExpiration(assetDir, new Date(), failWithin);
    if (!this.jsonEnabled()) this.log(formatExpirationReport(report));
    if (report.failing.length > 0) process.exitCode = EXIT.failure;
    return report;
  }
}
