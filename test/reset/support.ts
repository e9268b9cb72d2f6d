// A fake node root for the reset tests: what bootkube leaves on a master, beside what it must never touch.
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { loadClusterConfig } from '../../src/config/index.js';
import { render } from '../../src/render/render.js';

const CHECKPOINT = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'kube-apiserver-x7k2p',
    namespace: 'kube-system',
    annotations: { 'checkpointer.alpha.coreos.com/checkpoint-of': 'kube-apiserver-x7k2p' },
  },
  spec: { containers: [{ name: 'kube-apiserver', image: 'registry.k8s.io/kube-apiserver:v1.32.11' }] },
};

const FOREIGN_ETCD = `apiVersion: v1
kind: Pod
metadata:
  name: etcd-master-0
  namespace: kube-system
spec:
  hostNetwork: true
  containers:
    - name: etcd
      image: registry.k8s.io/etcd:3.5.16-0
`;

/** bootkube's paths, as the node sees them, in the order reset lists them. */
export const OURS = [
  '/etc/kubernetes/manifests/.kube-system-kube-scheduler-q9.json.bootkube-tmp-4242-0a1b2c3d',
  '/etc/kubernetes/manifests/bootstrap-apiserver.yaml',
  '/etc/kubernetes/manifests/bootstrap-scheduler.yaml',
  '/etc/kubernetes/manifests/kube-system-kube-apiserver-x7k2p.json',
  '/etc/kubernetes/bootstrap-secrets',
  '/etc/kubernetes/.bootstrap-secrets.bootkube-old-4242-0a1b2c3d',
  '/etc/kubernetes/inactive-manifests',
  '/etc/kubernetes/checkpoint-secrets',
  '/etc/kubernetes/checkpoint-configmaps',
  '/var/lock/bootkube/api-server.lock',
  '/var/lock/bootkube/pod-checkpointer.lock',
  '/var/lock/bootkube',
];

/** What is not bootkube's: other static pods, the kubelet's files, etcd's data, other locks. */
export const NOT_OURS = [
  '/etc/kubernetes/manifests/etcd.yaml',
  '/etc/kubernetes/manifests/lookalike.yaml',
  '/etc/kubernetes/manifests/haproxy.json',
  '/etc/kubernetes/manifests/README',
  '/etc/kubernetes/kubeconfig',
  '/etc/kubernetes/ca.crt',
  '/etc/kubernetes/kubelet/config.yaml',
  '/var/lib/etcd/member/snap/db',
  '/var/lib/etcd/member/wal/0000000000000000-0000000000000000.wal',
  '/var/lock/kubelet.lock',
];

async function put(root: string, path: string, content: string | Buffer = `${path}\n`): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), content);
}

let bootstrapPods: Map<string, string> | undefined;

/** The bootstrap pods exactly as render writes them (rendered once per process). */
export async function renderedBootstrapPods(work: string): Promise<Map<string, string>> {
  if (!bootstrapPods) {
    const dir = join(work, 'rendered-assets');
    const config = await loadClusterConfig({
      flags: { 'key-type': 'ecdsa-p256', 'node-name': 'master-0', 'network-provider': 'none' },
      bootkubeVersion: '0.0.0',
    });
    await render({ config, assetDir: dir, force: false });
    const pods = new Map<string, string>();
    for (const name of await readdir(join(dir, 'bootstrap-manifests')))
      pods.set(name, await readFile(join(dir, 'bootstrap-manifests', name), 'utf8'));
    bootstrapPods = pods;
  }
  return bootstrapPods;
}

/** Fills `root` with OURS and NOT_OURS. */
export async function prepareRoot(root: string, work: string): Promise<void> {
  const pods = await renderedBootstrapPods(work);
  await put(root, '/etc/kubernetes/bootstrap-secrets/ca.crt');
  await put(root, '/etc/kubernetes/bootstrap-secrets/apiserver.key');
  await put(root, '/etc/kubernetes/.bootstrap-secrets.bootkube-old-4242-0a1b2c3d/ca.crt');
  await put(
    root,
    '/etc/kubernetes/inactive-manifests/kube-system-kube-apiserver-x7k2p.json',
    JSON.stringify(CHECKPOINT),
  );
  await put(
    root,
    '/etc/kubernetes/checkpoint-secrets/kube-system/kube-apiserver-x7k2p/kube-apiserver/apiserver.crt',
  );
  await put(
    root,
    '/etc/kubernetes/checkpoint-configmaps/kube-system/kube-proxy-abcde/kube-proxy/config.conf',
  );
  await put(
    root,
    '/etc/kubernetes/manifests/kube-system-kube-apiserver-x7k2p.json',
    JSON.stringify(CHECKPOINT),
  );
  await put(
    root,
    '/etc/kubernetes/manifests/bootstrap-apiserver.yaml',
    pods.get('bootstrap-apiserver.yaml')!,
  );
  await put(
    root,
    '/etc/kubernetes/manifests/bootstrap-scheduler.yaml',
    pods.get('bootstrap-scheduler.yaml')!,
  );
  await put(
    root,
    '/etc/kubernetes/manifests/.kube-system-kube-scheduler-q9.json.bootkube-tmp-4242-0a1b2c3d',
    '{"kind":"Pod"',
  );
  await put(root, '/etc/kubernetes/manifests/etcd.yaml', FOREIGN_ETCD);
  // Named like a bootstrap pod, but not in kube-system: not bootkube's.
  await put(
    root,
    '/etc/kubernetes/manifests/lookalike.yaml',
    pods.get('bootstrap-apiserver.yaml')!.replace('namespace: kube-system', 'namespace: default'),
  );
  await put(
    root,
    '/etc/kubernetes/manifests/haproxy.json',
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'haproxy', annotations: { 'checkpointer.alpha.coreos.com/checkpoint': 'true' } },
    }),
  );
  await put(root, '/etc/kubernetes/manifests/README', 'static pods of this node\n');
  await put(root, '/etc/kubernetes/kubeconfig');
  await put(root, '/etc/kubernetes/ca.crt');
  await put(root, '/etc/kubernetes/kubelet/config.yaml');
  await put(root, '/var/lib/etcd/member/snap/db', Buffer.alloc(4096, 7));
  await put(root, '/var/lib/etcd/member/wal/0000000000000000-0000000000000000.wal', Buffer.alloc(1024, 3));
  await put(root, '/var/lock/bootkube/api-server.lock', '');
  await put(root, '/var/lock/bootkube/pod-checkpointer.lock', '');
  await put(root, '/var/lock/kubelet.lock', '');
}

/** Every path under `root` (files and dirs), as the node sees them, with a file's content. */
export async function tree(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const rel of await readdir(root, { recursive: true })) {
    const st = await stat(join(root, rel));
    out.set(`/${rel}`, st.isDirectory() ? 'dir' : (await readFile(join(root, rel))).toString('base64'));
  }
  return out;
}
