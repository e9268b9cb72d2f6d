/**
 * Everything the templates read, computed once from the validated cluster config and the PKI's
 * files. Templates only look values up; the decisions (what goes in which Secret, which flags
 * apply) are made here or in the flag templates under templates/flags/.
 */
import type { ClusterConfig, Images } from '../config/types.js';
import {
  API_SERVER_LOCK,
  ANNOTATIONS,
  APISERVER_KUBELET_CLIENT_USER,
  CONTROLLER_MANAGER_PORT,
  HOST_PATHS,
  LABELS,
  LOCKEXEC,
  NAMESPACE,
  POD_CHECKPOINTER_LOCK,
  POD_SECRETS_DIR,
  SCHEDULER_PORT,
  SECRET_KEYS,
  SECRET_NAMES,
  TLS_PATHS,
} from './constants.js';
import { RenderCheckError } from './check-errors.js';
import { renderTemplate, toYaml } from './template.js';

/** Reads a PKI file by its path relative to the asset dir (e.g. `tls/ca.crt`), as text. */
export type TlsReader = (path: string) => string;

export type KubeconfigName = 'admin' | 'kubelet' | 'controllerManager' | 'scheduler';

/** One identity's kubeconfig: filled into templates/auth/kubeconfig.yaml. */
export interface KubeconfigValues {
  user: string;
  context: string;
  caData: string;
  certData: string;
  keyData: string;
}

/** Secret data: key → base64 of the file. */
export type SecretData = Record<string, string>;

export interface TemplateValues {
  cluster: { name: string; domain: string; kubernetesVersion: string };
  node: { name: string };
  apiServer: {
    /** Scheme, host and port of the first URL, without a trailing slash. */
    url: string;
    /** Host of the first URL, IPv6 without brackets. */
    host: string;
    port: number;
    /** The port as a string, for places that take only strings (container env values). */
    portText: string;
    /** Ports below 1024 need root: the self-hosted apiserver then cannot run as 65534. */
    privilegedPort: boolean;
    urls: string[];
    serviceIp: string;
    serviceAccountIssuer: string;
  };
  etcd: { servers: string; tls: boolean };
  network: {
    provider: ClusterConfig['networkProvider'];
    flannel: boolean;
    calico: boolean;
    podCidr: string;
    podCidrIpv6: boolean;
    serviceCidr: string;
    dnsServiceIp: string;
    flannelNetConf: string;
  };
  cloudProvider: string;
  images: Images;
  namespace: string;
  paths: typeof HOST_PATHS & {
    podSecrets: string;
    apiServerLock: string;
    podCheckpointerLock: string;
    lockexecImagePath: string;
    lockexecDir: string;
    lockexec: string;
  };
  /** Absolute paths of the secret files inside control-plane pods. */
  files: Record<keyof typeof SECRET_KEYS, string>;
  annotations: typeof ANNOTATIONS;
  labels: typeof LABELS;
  secretNames: typeof SECRET_NAMES;
  ports: { controllerManager: number; scheduler: number };
  users: { apiserverKubeletClient: string };
  kubeconfigs: Record<KubeconfigName, KubeconfigValues>;
  /** Text of the kube-proxy ConfigMap's files. */
  kubeProxy: { kubeconfig: string; config: string };
  secrets: { kubeApiserver: SecretData; kubeControllerManager: SecretData; kubeScheduler: SecretData };
  /** Command-line flags, shared by the bootstrap and the self-hosted pods. */
  flags: { kubeApiserver: string[]; kubeControllerManager: string[]; kubeScheduler: string[] };
}

const DNS_NAME = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)*$/;

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

function origin(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

function defaultPort(url: URL): number {
  if (url.port) return Number(url.port);
  return url.protocol === 'http:' ? 80 : 443;
}

/** flannel's net-conf.json, built as data: the pod network and the vxlan back end. */
function flannelNetConf(config: ClusterConfig): string {
  const network =
    config.podCidr.family === 6
      ? { EnableIPv4: false, EnableIPv6: true, IPv6Network: config.podCidr.text }
      : { Network: config.podCidr.text };
  return `${JSON.stringify({ ...network, Backend: { Type: 'vxlan' } }, null, 2)}\n`;
}

const kubeconfigTexts = new WeakMap<TemplateValues, Map<KubeconfigName, string>>();

/** The kubeconfig text of one identity (also embedded in the controller-manager/scheduler Secrets). */
export function renderKubeconfig(values: TemplateValues, name: KubeconfigName): string {
  let texts = kubeconfigTexts.get(values);
  if (!texts) kubeconfigTexts.set(values, (texts = new Map()));
  let text = texts.get(name);
  if (text === undefined) {
    text = toYaml(
      renderTemplate('auth/kubeconfig.yaml', { ...values, kubeconfig: values.kubeconfigs[name] }),
    );
    texts.set(name, text);
  }
  return text;
}

/** The values for every template, from a validated config and the PKI files (read through `tls`). */
export function buildValues(config: ClusterConfig, tls: TlsReader): TemplateValues {
  const first = config.apiServers[0];
  if (!first) throw new Error('buildValues: the cluster config has no API server URL');
  // The domain is pasted into the Corefile, which is text, not YAML: a newline there would add
  // CoreDNS directives. src/config validates it; this keeps render safe on its own.
  if (!DNS_NAME.test(config.clusterDomain)) {
    throw new RenderCheckError(
      'manifests/coredns-config.yaml',
      `cluster domain ${JSON.stringify(config.clusterDomain)} is not a DNS name`,
    );
  }
  const port = defaultPort(first);
  const read = (path: string): string => b64(tls(path));
  const ca = read(TLS_PATHS.ca);
  const identity = (user: string, cert: string, key: string): KubeconfigValues => ({
    user,
    context: `${user}@${config.clusterName}`,
    caData: ca,
    certData: read(cert),
    keyData: read(key),
  });
  const files = Object.fromEntries(
    Object.entries(SECRET_KEYS).map(([k, file]) => [k, `${POD_SECRETS_DIR}/${file}`]),
  ) as Record<keyof typeof SECRET_KEYS, string>;

  const values: TemplateValues = {
    cluster: {
      name: config.clusterName,
      domain: config.clusterDomain,
      kubernetesVersion: config.kubernetesVersion,
    },
    node: { name: config.nodeName },
    apiServer: {
      url: origin(first),
      host: first.hostname.replace(/^\[(.*)\]$/, '$1'),
      port,
      portText: String(port),
      privilegedPort: port < 1024,
      urls: config.apiServers.map(origin),
      serviceIp: config.apiServiceIp,
      serviceAccountIssuer: `https://kubernetes.default.svc.${config.clusterDomain}`,
    },
    etcd: { servers: config.etcd.servers.map(origin).join(','), tls: config.etcd.tls },
    network: {
      provider: config.networkProvider,
      flannel: config.networkProvider === 'flannel',
      calico: config.networkProvider === 'calico',
      podCidr: config.podCidr.text,
      podCidrIpv6: config.podCidr.family === 6,
      serviceCidr: config.serviceCidr.text,
      dnsServiceIp: config.dnsServiceIp,
      flannelNetConf: flannelNetConf(config),
    },
    cloudProvider: config.cloudProvider,
    images: { ...config.images },
    namespace: NAMESPACE,
    paths: {
      ...HOST_PATHS,
      podSecrets: POD_SECRETS_DIR,
      apiServerLock: API_SERVER_LOCK,
      podCheckpointerLock: POD_CHECKPOINTER_LOCK,
      lockexecImagePath: LOCKEXEC.imagePath,
      lockexecDir: LOCKEXEC.podDir,
      lockexec: LOCKEXEC.podPath,
    },
    files,
    annotations: ANNOTATIONS,
    labels: LABELS,
    secretNames: SECRET_NAMES,
    ports: { controllerManager: CONTROLLER_MANAGER_PORT, scheduler: SCHEDULER_PORT },
    users: { apiserverKubeletClient: APISERVER_KUBELET_CLIENT_USER },
    kubeconfigs: {
      admin: identity('admin', TLS_PATHS.adminCert, TLS_PATHS.adminKey),
      kubelet: identity('kubelet', TLS_PATHS.kubeletCert, TLS_PATHS.kubeletKey),
      controllerManager: identity(
        'kube-controller-manager',
        TLS_PATHS.controllerManagerCert,
        TLS_PATHS.controllerManagerKey,
      ),
      scheduler: identity('kube-scheduler', TLS_PATHS.schedulerCert, TLS_PATHS.schedulerKey),
    },
    kubeProxy: { kubeconfig: '', config: '' },
    secrets: { kubeApiserver: {}, kubeControllerManager: {}, kubeScheduler: {} },
    flags: { kubeApiserver: [], kubeControllerManager: [], kubeScheduler: [] },
  };

  // Second pass: texts and lists that are themselves rendered from templates with the values above.
  values.kubeProxy = {
    kubeconfig: toYaml(renderTemplate('embedded/kube-proxy-kubeconfig.yaml', values)),
    config: toYaml(renderTemplate('embedded/kube-proxy-config.yaml', values)),
  };
  const K = SECRET_KEYS;
  values.secrets = {
    kubeApiserver: {
      [K.ca]: ca,
      [K.apiserverCert]: read(TLS_PATHS.apiserverCert),
      [K.apiserverKey]: read(TLS_PATHS.apiserverKey),
      [K.kubeletClientCert]: read(TLS_PATHS.kubeletClientCert),
      [K.kubeletClientKey]: read(TLS_PATHS.kubeletClientKey),
      [K.serviceAccountPub]: read(TLS_PATHS.serviceAccountPub),
      [K.serviceAccountKey]: read(TLS_PATHS.serviceAccountKey),
      [K.frontProxyCa]: read(TLS_PATHS.frontProxyCa),
      [K.frontProxyClientCert]: read(TLS_PATHS.frontProxyClientCert),
      [K.frontProxyClientKey]: read(TLS_PATHS.frontProxyClientKey),
      ...(config.etcd.tls
        ? {
            [K.etcdCa]: read(TLS_PATHS.etcdCa),
            [K.etcdClientCert]: read(TLS_PATHS.etcdClientCert),
            [K.etcdClientKey]: read(TLS_PATHS.etcdClientKey),
          }
        : {}),
    },
    kubeControllerManager: {
      [K.ca]: ca,
      [K.caKey]: read(TLS_PATHS.caKey),
      [K.serviceAccountKey]: read(TLS_PATHS.serviceAccountKey),
      [K.frontProxyCa]: read(TLS_PATHS.frontProxyCa),
      [K.controllerManagerKubeconfig]: b64(renderKubeconfig(values, 'controllerManager')),
    },
    kubeScheduler: {
      [K.ca]: ca,
      [K.frontProxyCa]: read(TLS_PATHS.frontProxyCa),
      [K.schedulerKubeconfig]: b64(renderKubeconfig(values, 'scheduler')),
    },
  };
  const flagList = (name: string): string[] =>
    renderTemplate(`flags/${name}.yaml`, values).flat() as string[];
  values.flags = {
    kubeApiserver: flagList('kube-apiserver'),
    kubeControllerManager: flagList('kube-controller-manager'),
    kubeScheduler: flagList('kube-scheduler'),
  };
  return values;
}
