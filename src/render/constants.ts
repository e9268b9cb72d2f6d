/**
 * Names and paths that the rendered assets and the programs running on a master must agree on:
 * render writes them into manifests, `start`, the checkpointer and `recover` look for them.
 * Everything here is a contract (DESIGN.md §3, §6); change it only together with its readers.
 */

/** Host paths on a master (each may be moved under `--root-dir` by start; pods always see these). */
export const HOST_PATHS = {
  kubernetesDir: '/etc/kubernetes',
  /** The kubelet's static-pod dir (`staticPodPath`); active checkpoints live here too. */
  staticPods: '/etc/kubernetes/manifests',
  bootstrapSecrets: '/etc/kubernetes/bootstrap-secrets',
  inactiveManifests: '/etc/kubernetes/inactive-manifests',
  checkpointSecrets: '/etc/kubernetes/checkpoint-secrets',
  checkpointConfigMaps: '/etc/kubernetes/checkpoint-configmaps',
  /** The system kubelet's kubeconfig (auth/kubeconfig-kubelet); the checkpointer uses it too (§6). */
  kubeletKubeconfig: '/etc/kubernetes/kubeconfig',
  /** The cluster CA the kubelet verifies client certificates with (tls/ca.crt). */
  kubeletClientCa: '/etc/kubernetes/ca.crt',
  /** Where the asset dir's `kubelet/` folder is installed: config.yaml, kubelet.env. */
  kubeletDir: '/etc/kubernetes/kubelet',
  /** Mounted into pods as a directory, never the lock file itself (a file mount pins one inode). */
  lockDir: '/var/lock/bootkube',
  /** The CRI socket the checkpointer asks what really runs (§6). */
  containerdSocket: '/run/containerd/containerd.sock',
  cniBinDir: '/opt/cni/bin',
  cniConfDir: '/etc/cni/net.d',
} as const;

export const LOCK_FILES = {
  /** The API hand-off lock: flock(2) by the shim and every apiserver through lockexec. */
  apiServer: 'api-server.lock',
  /** One checkpointer per node. */
  podCheckpointer: 'pod-checkpointer.lock',
} as const;

export const API_SERVER_LOCK = `${HOST_PATHS.lockDir}/${LOCK_FILES.apiServer}`;
export const POD_CHECKPOINTER_LOCK = `${HOST_PATHS.lockDir}/${LOCK_FILES.podCheckpointer}`;

/** Where control-plane pods see their secrets: the Secret volume, or the bootstrap-secrets hostPath. */
export const POD_SECRETS_DIR = '/etc/kubernetes/secrets';

/** lockexec: shipped in the bootkube image, copied by an init container into an emptyDir. */
export const LOCKEXEC = {
  imagePath: '/usr/local/bin/lockexec',
  podDir: '/lockexec',
  podPath: '/lockexec/lockexec',
} as const;

export const NAMESPACE = 'kube-system';

export const ANNOTATIONS = {
  /** On a pod template: the checkpointer keeps a static copy of its pods. */
  checkpoint: 'checkpointer.alpha.coreos.com/checkpoint',
  /** On a checkpoint: the name of the pod it copies. */
  checkpointOf: 'checkpointer.alpha.coreos.com/checkpoint-of',
} as const;

export const LABELS = {
  /** Set on masters by `start` with the admin identity (a kubelet may not label itself so). */
  controlPlaneRole: 'node-role.kubernetes.io/control-plane',
  app: 'k8s-app',
  tier: 'tier',
} as const;

/** The Secrets of the self-hosted control plane, in kube-system. */
export const SECRET_NAMES = {
  kubeApiserver: 'kube-apiserver',
  kubeControllerManager: 'kube-controller-manager',
  kubeScheduler: 'kube-scheduler',
} as const;

/**
 * File names inside POD_SECRETS_DIR = keys of those Secrets. The names are unique across the three
 * Secrets (or the content is identical, as for ca.crt), so bootstrap-secrets is simply the union of
 * the three Secrets' data and the bootstrap pods run with exactly the self-hosted flags.
 */
export const SECRET_KEYS = {
  ca: 'ca.crt',
  caKey: 'ca.key',
  apiserverCert: 'apiserver.crt',
  apiserverKey: 'apiserver.key',
  kubeletClientCert: 'apiserver-kubelet-client.crt',
  kubeletClientKey: 'apiserver-kubelet-client.key',
  serviceAccountPub: 'service-account.pub',
  serviceAccountKey: 'service-account.key',
  frontProxyCa: 'front-proxy-ca.crt',
  frontProxyClientCert: 'front-proxy-client.crt',
  frontProxyClientKey: 'front-proxy-client.key',
  etcdCa: 'etcd-ca.crt',
  etcdClientCert: 'apiserver-etcd-client.crt',
  etcdClientKey: 'apiserver-etcd-client.key',
  controllerManagerKubeconfig: 'kube-controller-manager.kubeconfig',
  schedulerKubeconfig: 'kube-scheduler.kubeconfig',
} as const;

/** TLS files render reads, relative to the asset dir (the layout of src/pki). */
export const TLS_PATHS = {
  ca: 'tls/ca.crt',
  caKey: 'tls/ca.key',
  apiserverCert: 'tls/apiserver.crt',
  apiserverKey: 'tls/apiserver.key',
  kubeletClientCert: 'tls/apiserver-kubelet-client.crt',
  kubeletClientKey: 'tls/apiserver-kubelet-client.key',
  adminCert: 'tls/admin.crt',
  adminKey: 'tls/admin.key',
  kubeletCert: 'tls/kubelet.crt',
  kubeletKey: 'tls/kubelet.key',
  controllerManagerCert: 'tls/kube-controller-manager.crt',
  controllerManagerKey: 'tls/kube-controller-manager.key',
  schedulerCert: 'tls/kube-scheduler.crt',
  schedulerKey: 'tls/kube-scheduler.key',
  serviceAccountKey: 'tls/service-account.key',
  serviceAccountPub: 'tls/service-account.pub',
  frontProxyCa: 'tls/front-proxy-ca.crt',
  frontProxyClientCert: 'tls/front-proxy-client.crt',
  frontProxyClientKey: 'tls/front-proxy-client.key',
  etcdCa: 'tls/etcd/ca.crt',
  etcdClientCert: 'tls/apiserver-etcd-client.crt',
  etcdClientKey: 'tls/apiserver-etcd-client.key',
} as const;

/**
 * The CN of tls/apiserver-kubelet-client.crt: render binds it to `system:kubelet-api-admin` so
 * `kubectl logs/exec` work even when the certificate is not in `system:masters`.
 */
export const APISERVER_KUBELET_CLIENT_USER = 'kube-apiserver-kubelet-client';

/** Secure ports of the controller-manager and scheduler (probed over HTTPS). */
export const CONTROLLER_MANAGER_PORT = 10257;
export const SCHEDULER_PORT = 10259;
