/**
 * Defaults of every cluster setting, in one place: `render --print-defaults` prints them and the
 * README documents them from here.
 */
import type { Images, KeyType, NetworkProvider } from './types.js';

export const CONFIG_API_VERSION = 'bootkube.dev/v1alpha1';
export const CONFIG_KIND = 'ClusterConfig';

/** The Kubernetes release render targets unless told otherwise: a current 1.32 patch release. */
export const DEFAULT_KUBERNETES_VERSION = 'v1.32.11';
/** Minor versions whose flags and APIs the templates are written for. */
export const SUPPORTED_MINORS = { min: 30, max: 33 } as const;

export const DEFAULTS = {
  clusterName: 'bootkube',
  apiServers: ['https://127.0.0.1:6443'],
  etcdServers: ['https://127.0.0.1:2379'],
  podCidr: '10.2.0.0/16',
  serviceCidr: '10.3.0.0/24',
  clusterDomain: 'cluster.local',
  networkProvider: 'flannel' as NetworkProvider,
  cloudProvider: '',
  keyType: 'rsa-2048' as KeyType,
};

/** bootkube's own image: the checkpointer and the lockexec helper. Its tag follows the CLI's version. */
export function bootkubeImage(version: string): string {
  return `ghcr.io/bootkube/bootkube:v${version}`;
}

/** The images of a release: control-plane images follow `kubernetesVersion`; add-ons are pinned to versions tested with 1.32. */
export function defaultImages(kubernetesVersion: string, bootkubeVersion: string): Images {
  const k8s = (name: string) => `registry.k8s.io/${name}:${kubernetesVersion}`;
  return {
    kubeApiserver: k8s('kube-apiserver'),
    kubeControllerManager: k8s('kube-controller-manager'),
    kubeScheduler: k8s('kube-scheduler'),
    kubeProxy: k8s('kube-proxy'),
    coredns: 'registry.k8s.io/coredns/coredns:v1.11.3',
    bootkube: bootkubeImage(bootkubeVersion),
    flannel: 'docker.io/flannel/flannel:v0.26.7',
    flannelCniPlugin: 'docker.io/flannel/flannel-cni-plugin:v1.6.2-flannel1',
    calicoNode: 'docker.io/calico/node:v3.29.3',
    calicoCni: 'docker.io/calico/cni:v3.29.3',
  };
}
