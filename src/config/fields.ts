/**
 * The table of every cluster setting: its path in the config file, the flag that overrides it and
 * the shape of its value. Parsing the file, reading flags and printing defaults all walk this table,
 * so a setting is added in one place.
 */
export type FieldKind = 'string' | 'list' | 'path';

export interface FieldSpec {
  /** Dotted path in the config document, e.g. `network.podCIDR`. */
  path: string;
  /** The render flag that sets it, without dashes. */
  flag: string;
  kind: FieldKind;
}

export const IMAGE_KEYS = [
  'kubeApiserver',
  'kubeControllerManager',
  'kubeScheduler',
  'kubeProxy',
  'coredns',
  'bootkube',
  'flannel',
  'flannelCniPlugin',
  'calicoNode',
  'calicoCni',
] as const;
export type ImageKey = (typeof IMAGE_KEYS)[number];

/** `kubeApiserver` → `kube-apiserver`: the name used by `--image NAME=REF`. */
export function imageFlagName(key: ImageKey): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export const FIELDS: readonly FieldSpec[] = [
  { path: 'clusterName', flag: 'cluster-name', kind: 'string' },
  { path: 'kubernetesVersion', flag: 'kubernetes-version', kind: 'string' },
  { path: 'nodeName', flag: 'node-name', kind: 'string' },
  { path: 'apiServers', flag: 'api-servers', kind: 'list' },
  { path: 'apiServerAltNames', flag: 'api-server-alt-names', kind: 'list' },
  { path: 'etcd.servers', flag: 'etcd-servers', kind: 'list' },
  { path: 'etcd.caPath', flag: 'etcd-ca-path', kind: 'path' },
  { path: 'etcd.certificatePath', flag: 'etcd-certificate-path', kind: 'path' },
  { path: 'etcd.privateKeyPath', flag: 'etcd-private-key-path', kind: 'path' },
  { path: 'ca.certificatePath', flag: 'ca-certificate-path', kind: 'path' },
  { path: 'ca.privateKeyPath', flag: 'ca-private-key-path', kind: 'path' },
  { path: 'network.podCIDR', flag: 'pod-cidr', kind: 'string' },
  { path: 'network.serviceCIDR', flag: 'service-cidr', kind: 'string' },
  { path: 'network.provider', flag: 'network-provider', kind: 'string' },
  { path: 'network.clusterDomain', flag: 'cluster-domain', kind: 'string' },
  { path: 'cloudProvider', flag: 'cloud-provider', kind: 'string' },
  { path: 'keyType', flag: 'key-type', kind: 'string' },
  ...IMAGE_KEYS.map((key) => ({ path: `images.${key}`, flag: `image ${imageFlagName(key)}=`, kind: 'string' as const })),
];

export const FIELD_BY_PATH: ReadonlyMap<string, FieldSpec> = new Map(FIELDS.map((f) => [f.path, f]));
