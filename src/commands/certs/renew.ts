import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { EXIT } from '../../cli/exit-codes.js';
import { formatRenewal, renew, type RenewResult } from '../../certs/index.js';

export default class CertsRenew extends BaseCommand {
  static override summary = "Renew certificates of an asset dir from the asset dir's own CAs.";
  static override description = `Reissues each named certificate (as \`certs check-expiration\` names it: apiserver, admin, etcd/server, …), or every leaf with --all, signed by its CA's key in the asset dir. Subject, SANs, key usages and extended key usages are read from the existing certificate and kept; so is the key, unless --new-key. Every copy in auth/ kubeconfigs and manifests/ Secrets is updated too, and the asset dir is replaced as a whole: an interrupted renew leaves the old one or the new one, never a mix.

A CA (ca, front-proxy-ca, etcd/ca) is never renewed implicitly: name it together with --renew-ca, and every certificate it signed is renewed with it. A certificate whose CA has no key in the asset dir (your own etcd PKI) is refused (skipped, with --all).

Works on an asset dir only. Renewing the certificates of a running cluster (--kubeconfig) is not available yet.`;

  static override examples = [
    '<%= config.bin %> certs renew apiserver --asset-dir assets',
    '<%= config.bin %> certs renew --all --asset-dir assets',
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
      description: 'allow renewing the CAs named, and every certificate each signed',
    }),
    'new-key': Flags.boolean({ description: 'give every renewed certificate a new key of the same type' }),
  };

  async run(): Promise<RenewResult> {
    const { flags, argv } = await this.parse(CertsRenew);
    const assetDir = flags['asset-dir'];
    if (!assetDir) this.error('Missing required flag --asset-dir', { exit: EXIT.badInput });
    const names = argv as string[];
    if (flags.all && names.length > 0)
      this.error('give certificate names or --all, not both', { exit: EXIT.badInput });
    const result = await renew(assetDir, flags.all ? 'all' : names, new Date(), {
      renewCa: flags['renew-ca'],
      newKey: flags['new-key'],
    });
    if (!this.jsonEnabled()) this.log(formatRenewal(result));
    return result;
  }
}
