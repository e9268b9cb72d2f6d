/**
 * From merged settings (defaults < config file < flags) to a validated ClusterConfig. Every check
 * that involves more than one setting lives here; single values are parsed by validate.ts.
 */
import { ConfigError } from './errors.js';
import { DEFAULTS, DEFAULT_KUBERNETES_VERSION, SUPPORTED_MINORS, defaultImages } from './defaults.js';
import { FIELD_BY_PATH, IMAGE_KEYS, imageFlagName } from './fields.js';
import { addressCount, cidrsOverlap, nthAddress } from './network.js';
import type { Setting, Settings } from './settings.js';
import type { ClusterConfig, Images, KeyType, NetworkProvider } from './types.js';
import { listOf, parseAltNames, parseServerUrl, requireCidr, requireDnsSubdomain } from './validate.js';

export interface ResolveContext {
  /** The machine's hostname: the default node name, as the kubelet defaults it. */
  hostname: string;
  /** bootkube's own version: the tag of its image. */
  bootkubeVersion: string;
}

const NETWORK_PROVIDERS: NetworkProvider[] = ['flannel', 'calico', 'none'];
const KEY_TYPES: KeyType[] = ['rsa-2048', 'ecdsa-p256'];

/** Validates settings into a ClusterConfig; throws ConfigError naming the first bad setting. */
export function resolveClusterConfig(settings: Settings, ctx: ResolveContext): ClusterConfig {
  const get = (path: string, fallback: string | string[]): Setting =>
    settings.get(path) ?? { value: fallback, source: `--${FIELD_BY_PATH.get(path)!.flag}` };
  const optional = (path: string): Setting | undefined => {
    const s = settings.get(path);
    return s && s.value !== '' ? s : undefined;
  };

  const clusterName = requireDnsSubdomain(get('clusterName', DEFAULTS.clusterName), 'cluster name');
  const kubernetesVersion = requireVersion(get('kubernetesVersion', DEFAULT_KUBERNETES_VERSION));
  const nodeName = requireDnsSubdomain(get('nodeName', ctx.hostname.toLowerCase()), 'node name');

  const apiSetting = get('apiServers', DEFAULTS.apiServers);
  const apiServers = nonEmpty(apiSetting, listOf(apiSetting)).map((u) =>
    parseServerUrl(apiSetting, u, ['https'], 'https://10.0.0.10:6443'),
  );
  const apiServerAltNames = parseAltNames(get('apiServerAltNames', []));

  const etcdSetting = get('etcd.servers', DEFAULTS.etcdServers);
  const etcdServers = nonEmpty(etcdSetting, listOf(etcdSetting)).map((u) =>
    parseServerUrl(etcdSetting, u, ['https', 'http'], 'https://10.0.0.10:2379'),
  );
  const etcdTls = etcdServers.some((u) => u.protocol === 'https:');
  const etcdFiles = ['etcd.caPath', 'etcd.certificatePath', 'etcd.privateKeyPath'].map(optional);
  if (etcdFiles.some(Boolean) && !etcdFiles.every(Boolean)) {
    throw new ConfigError('--etcd-ca-path, --etcd-certificate-path, --etcd-private-key-path', 'give all three or none', {
      hint: 'without them render makes an etcd CA and certificates itself',
    });
  }
  if (etcdFiles[0] && !etcdTls) {
    throw new ConfigError(etcdFiles[0].source, 'etcd TLS files were given but every etcd server URL is http', {
      hint: 'use https:// etcd URLs, or drop the etcd TLS files',
    });
  }
  const caFiles = ['ca.certificatePath', 'ca.privateKeyPath'].map(optional);
  if (caFiles.some(Boolean) && !caFiles.every(Boolean)) {
    throw new ConfigError('--ca-certificate-path, --ca-private-key-path', 'give both or neither', {
      hint: 'a CA certificate is only usable with its private key',
    });
  }

  const podCidr = requireCidr(get('network.podCIDR', DEFAULTS.podCidr));
  const serviceSetting = get('network.serviceCIDR', DEFAULTS.serviceCidr);
  const serviceCidr = requireCidr(serviceSetting);
  checkNetworks(settings, podCidr, serviceCidr, serviceSetting);
  const apiServiceIp = nthAddress(serviceCidr, 1)!;
  const dnsServiceIp = nthAddress(serviceCidr, 10)!;

  const clusterDomain = requireDnsSubdomain(get('network.clusterDomain', DEFAULTS.clusterDomain), 'cluster domain');
  const networkProvider = oneOf(get('network.provider', DEFAULTS.networkProvider), NETWORK_PROVIDERS);
  const keyType = oneOf(get('keyType', DEFAULTS.keyType), KEY_TYPES);
  const cloudSetting = get('cloudProvider', DEFAULTS.cloudProvider);
  if (cloudSetting.value !== '' && cloudSetting.value !== 'external') {
    throw new ConfigError(cloudSetting.source, `"${cloudSetting.value}" is not supported by Kubernetes 1.30+`, {
      hint: 'in-tree cloud providers were removed: use "external" and run your cloud controller manager, or leave it empty',
    });
  }

  return {
    clusterName,
    kubernetesVersion,
    nodeName,
    apiServers,
    apiServerAltNames,
    etcd: {
      servers: etcdServers,
      tls: etcdTls,
      external: etcdFiles[0]
        ? { caPath: str(etcdFiles[0]), certificatePath: str(etcdFiles[1]!), privateKeyPath: str(etcdFiles[2]!) }
        : undefined,
    },
    ca: caFiles[0] ? { certificatePath: str(caFiles[0]), privateKeyPath: str(caFiles[1]!) } : undefined,
    podCidr,
    serviceCidr,
    apiServiceIp,
    dnsServiceIp,
    clusterDomain,
    networkProvider,
    cloudProvider: cloudSetting.value as string,
    keyType,
    images: resolveImages(settings, kubernetesVersion, ctx.bootkubeVersion),
  };
}

function str(setting: Setting): string {
  return setting.value as string;
}

function nonEmpty(setting: Setting, items: string[]): string[] {
  if (items.length === 0) throw new ConfigError(setting.source, 'is empty', { hint: 'give at least one URL' });
  return items;
}

function oneOf<T extends string>(setting: Setting, allowed: T[]): T {
  const value = setting.value as string;
  if (!allowed.includes(value as T)) {
    throw new ConfigError(setting.source, `"${value}" is not one of ${allowed.join(', ')}`);
  }
  return value as T;
}

function requireVersion(setting: Setting): string {
  const value = setting.value as string;
  const m = /^v1\.(\d+)\.(\d+)$/.exec(value);
  if (!m) throw new ConfigError(setting.source, `"${value}" is not a Kubernetes release`, { hint: 'write it like v1.32.11' });
  const minor = Number(m[1]);
  if (minor < SUPPORTED_MINORS.min || minor > SUPPORTED_MINORS.max) {
    throw new ConfigError(setting.source, `${value} is not supported`, {
      hint: `render's manifests are for Kubernetes v1.${SUPPORTED_MINORS.min} to v1.${SUPPORTED_MINORS.max}`,
    });
  }
  return value;
}

function checkNetworks(settings: Settings, pod: ClusterConfig['podCidr'], svc: ClusterConfig['serviceCidr'], svcSetting: Setting): void {
  const podSource = settings.get('network.podCIDR')?.source ?? '--pod-cidr';
  if (pod.family !== svc.family) {
    throw new ConfigError(`${podSource} and ${svcSetting.source}`, `${pod.text} and ${svc.text} are of different IP families`, {
      hint: 'use IPv4 for both or IPv6 for both',
    });
  }
  if (cidrsOverlap(pod, svc)) {
    throw new ConfigError(`${podSource} and ${svcSetting.source}`, `${pod.text} and ${svc.text} overlap`, {
      hint: 'pick a service network outside the pod network',
    });
  }
  // The apiserver refuses service ranges over 2^20 addresses; the DNS service needs the 10th address.
  const [minSvc, maxSvc] = svc.family === 4 ? [12, 28] : [108, 124];
  if (svc.prefix > maxSvc) {
    throw new ConfigError(svcSetting.source, `${svc.text} is too small (${addressCount(svc)} addresses)`, {
      hint: `use a prefix of /${maxSvc} or shorter`,
    });
  }
  if (svc.prefix < minSvc) {
    throw new ConfigError(svcSetting.source, `${svc.text} is too large for the apiserver`, {
      hint: `use a prefix of /${minSvc} or longer`,
    });
  }
  // The controller-manager hands every node a /24 (IPv4) or /64 (IPv6) of the pod network.
  const maxPod = pod.family === 4 ? 24 : 64;
  if (pod.prefix > maxPod) {
    throw new ConfigError(podSource, `${pod.text} is too small to give each node a /${maxPod}`, {
      hint: `use a prefix of /${maxPod - 8} or shorter`,
    });
  }
}

function resolveImages(settings: Settings, kubernetesVersion: string, bootkubeVersion: string): Images {
  const images = defaultImages(kubernetesVersion, bootkubeVersion);
  for (const key of IMAGE_KEYS) {
    const s = settings.get(`images.${key}`);
    if (!s) continue;
    const ref = s.value as string;
    if (!/^[a-z0-9][^\s]*$/i.test(ref)) {
      throw new ConfigError(s.source, `"${ref}" is not an image reference`, {
        hint: `write it like registry.example.com/${imageFlagName(key)}:tag`,
      });
    }
    images[key] = ref;
  }
  return images;
}
