import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { etcdAccessFromFlags, etcdFlags } from '../cli/etcd-flags.js';
import { InputError } from '../errors.js';
import { CHECK_NAMES, formatPreflight, runPreflight, type PreflightReport } from '../preflight/index.js';

class PreflightFlagError extends InputError {
  readonly code = 'PREFLIGHT_FLAG_INVALID';
}

export default class Preflight extends BaseCommand {
  static override summary = 'Check a master before `bootkube start`: each check with its result and its fix.';
  static override description = `Checks, in order: ${CHECK_NAMES.join(', ')}. Nothing is written and no lock is taken. Exit 1 when a check fails (unless ignored with --ignore-preflight-errors); warnings do not fail.`;
  static override examples = [
    '<%= config.bin %> preflight --asset-dir assets',
    '<%= config.bin %> preflight --asset-dir assets --ignore-preflight-errors=swap,api-port --json',
  ];

  static override flags = {
    'asset-dir': Flags.string({
      description: 'the asset dir start will run',
      required: true,
      env: 'BOOTKUBE_ASSET_DIR',
    }),
    'root-dir': Flags.string({ description: 'prefix of every host path', default: '/' }),
    ...etcdFlags,
    'ignore-preflight-errors': Flags.string({
      description: `comma-separated checks whose errors are ignored, or "all" (${CHECK_NAMES.join(', ')})`,
    }),
  };

  async run(): Promise<PreflightReport> {
    const { flags } = await this.parse(Preflight);
    const ignore = (flags['ignore-preflight-errors'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const name of ignore) {
      if (name !== 'all' && !(CHECK_NAMES as readonly string[]).includes(name)) {
        throw new PreflightFlagError(`--ignore-preflight-errors: no check named "${name}"`, {
          hint: `the checks are ${CHECK_NAMES.join(', ')}, or all`,
        });
      }
    }
    const etcd = etcdAccessFromFlags(flags);
    const report = await runPreflight({
      assetDir: flags['asset-dir'],
      rootDir: flags['root-dir'],
      etcd,
      ignore,
    });
    if (!this.jsonEnabled()) this.log(formatPreflight(report));
    if (!report.ok) process.exitCode = 1;
    return report;
  }
}
