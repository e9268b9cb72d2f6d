// A validated ClusterConfig as src/config would produce it, for render tests.
import type { ClusterConfig, Cidr } from '../../src/config/types.js';

function cidr(text: string): Cidr {
  const [network, prefix] = text.split('/');
  return { text, network, prefix: Number(prefix), family: network.includes(':') ? 6 : 4 };
}

/** The default-like config (flannel, etcd over TLS); `overrides` replace top-level fields. */
export function fixtureConfig(overrides: Partial<ClusterConfig> = {}): ClusterConfig {
  return {
    clusterName: 'demo',
    kubernetesVersion: 'v1.32.9',
    nodeName: 'master-1',
    apiServers: [new URL('https://10.0.0.10:6443'), new URL('https://api.demo.example:6443')],
    apiServerAltNames: { dns: [], ips: [] },
    etcd: { servers: [new URL('https://10.0.0.10:2379'), new URL('https://10.0.0.11:2379')], tls: true },
    podCidr: cidr('10.2.0.0/16'),
    serviceCidr: cidr('10.3.0.0/24'),
    apiServiceIp: '10.3.0.1',
    dnsServiceIp: '10.3.0.10',
    clusterDomain: 'cluster.local',
    networkProvider: 'flannel',
    cloudProvider: '',
    keyType: 'ecdsa-p256',
    images: {
      kubeApiserver: 'registry.k8s.io/kube-apiserver:v1.32.9',
      kubeControllerManager: 'registry.k8s.io/kube-controller-manager:v1.32.9',
      kubeScheduler: 'registry.k8s.io/kube-scheduler:v1.32.9',
      kubeProxy: 'registry.k8s.io/kube-proxy:v1.32.9',
      coredns: 'registry.k8s.io/coredns/coredns:v1.11.3',
      bootkube: 'ghcr.io/example/bootkube:v0.1.0',
      flannel: 'ghcr.io/flannel-io/flannel:v0.26.7',
      flannelCniPlugin: 'ghcr.io/flannel-io/flannel-cni-plugin:v1.6.2-flannel1',
      calicoNode: 'docker.io/calico/node:v3.30.3',
      calicoCni: 'docker.io/calico/cni:v3.30.3',
    },
    ...overrides,
  };
}
