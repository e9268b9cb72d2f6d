/**
 * The resolved cluster configuration: what `render` (and later commands) work from after flags
 * and a config file have been merged, defaulted and validated by src/config. Every field is
 * present and valid; nothing downstream re-validates it.
 */

export type NetworkProvider = 'flannel' | 'calico' | 'none';
export type KeyType = 'rsa-2048' | 'ecdsa-p256';

/** A parsed CIDR: `network` is the network address (host bits cleared), `prefix` its length. */
export interface Cidr {
  /** As the user wrote it, normalised to `<network>/<prefix>`. */
  text: string;
  network: string;
  prefix: number;
  family: 4 | 6;
}

/** Images of every container render writes, keyed by component. */
export interface Images {
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kubeProxy: string;
  coredns: string;
  /** bootkube's own image: runs `bootkube checkpoint` and carries `lockexec`. */
  bootkube: string;
  flannel: string;
  flannelCniPlugin: string;
  calicoNode: string;
  calicoCni: string;
}

/** Paths to PEM files the user brings; render copies (and validates) them. */
export interface ExternalEtcdTls {
  caPath: string;
  certificatePath: string;
  privateKeyPath: string;
}

export interface ExternalCa {
  certificatePath: string;
  privateKeyPath: string;
}

export interface ClusterConfig {
  clusterName: string;
  /** A Kubernetes release tag such as `v1.32.9`. */
  kubernetesVersion: string;
  /** The first master's node name, exactly as its kubelet registers it. */
  nodeName: string;
  /** API server URLs (https). The first one is the `server:` of every kubeconfig; its port is the apiserver's `--secure-port`. */
  apiServers: URL[];
  /** Extra SANs of the apiserver serving certificate. */
  apiServerAltNames: { dns: string[]; ips: string[] };
  etcd: {
    servers: URL[];
    /** True when any etcd URL is https. */
    tls: boolean;
    /** The user's own etcd CA and apiserver client certificate; when absent and `tls`, render makes an etcd PKI. */
    external?: ExternalEtcdTls;
  };
  /** The user's own cluster CA; when absent render makes one. */
  ca?: ExternalCa;
  podCidr: Cidr;
  serviceCidr: Cidr;
  /** First address of the service CIDR: the `kubernetes` Service's cluster IP. */
  apiServiceIp: string;
  /** Tenth address of the service CIDR: the cluster DNS Service's cluster IP. */
  dnsServiceIp: string;
  clusterDomain: string;
  networkProvider: NetworkProvider;
  /** Passed as `--cloud-provider` to the apiserver and controller-manager; empty for none. */
  cloudProvider: string;
  keyType: KeyType;
  images: Images;
}
