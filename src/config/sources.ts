/**
 * The other two layers of settings: command-line flags, and the defaults as a complete config
 * document for `render --print-defaults`.
 */
import { resolve } from 'node:path';
import { Document } from 'yaml';
import { CONFIG_API_VERSION, CONFIG_KIND, DEFAULTS, DEFAULT_KUBERNETES_VERSION, defaultImages } from './defaults.js';
import { ConfigError } from './errors.js';
import { FIELDS, IMAGE_KEYS, imageFlagName } from './fields.js';
import type { Settings } from './settings.js';

/** Flag values as oclif parses them: strings keyed by flag name, `image` a list of NAME=REF. */
export type FlagValues = Record<string, string | string[] | boolean | undefined>;

/** Turns the flags the user gave into Settings; flags not given are absent, so lower layers show through. */
export function settingsFromFlags(flags: FlagValues, cwd = process.cwd()): Settings {
  const out: Settings = new Map();
  for (const field of FIELDS) {
    const value = flags[field.flag];
    if (typeof value !== 'string') continue;
    const source = `--${field.flag}`;
    out.set(field.path, { value: field.kind === 'path' && value !== '' ? resolve(cwd, value) : value, source });
  }
  for (const entry of (flags.image as string[] | undefined) ?? []) {
    const eq = entry.indexOf('=');
    const name = entry.slice(0, Math.max(eq, 0));
    const key = IMAGE_KEYS.find((k) => imageFlagName(k) === name);
    if (eq < 1 || !key || eq === entry.length - 1) {
      throw new ConfigError(`--image ${entry}`, eq < 1 ? 'expected NAME=IMAGE' : `unknown component "${name}"`, {
        hint: `NAME is one of ${IMAGE_KEYS.map(imageFlagName).join(', ')}`,
      });
    }
    out.set(`images.${key}`, { value: entry.slice(eq + 1), source: `--image ${name}=` });
  }
  return out;
}

/** A complete config document holding every default: the starting point of a config file. */
export function defaultsDocument(hostname: string, bootkubeVersion: string): string {
  const doc = new Document({
    apiVersion: CONFIG_API_VERSION,
    kind: CONFIG_KIND,
    clusterName: DEFAULTS.clusterName,
    kubernetesVersion: DEFAULT_KUBERNETES_VERSION,
    nodeName: hostname.toLowerCase(),
    apiServers: DEFAULTS.apiServers,
    apiServerAltNames: [],
    etcd: { servers: DEFAULTS.etcdServers, caPath: '', certificatePath: '', privateKeyPath: '' },
    ca: { certificatePath: '', privateKeyPath: '' },
    network: {
      podCIDR: DEFAULTS.podCidr,
      serviceCIDR: DEFAULTS.serviceCidr,
      provider: DEFAULTS.networkProvider,
      clusterDomain: DEFAULTS.clusterDomain,
    },
    cloudProvider: DEFAULTS.cloudProvider,
    keyType: DEFAULTS.keyType,
    images: defaultImages(DEFAULT_KUBERNETES_VERSION, bootkubeVersion),
  });
  doc.commentBefore =
    ' bootkube cluster config: `bootkube render --config FILE`. Flags override these values.\n' +
    ' Empty paths mean "generate": render makes the CA and the etcd PKI unless files are given.\n' +
    ' Relative paths are taken relative to this file.';
  return doc.toString({ lineWidth: 0 });
}
