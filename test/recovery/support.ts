// A bootkube cluster as recover finds it after a full outage: render's asset dir on a private etcd
// (TLS with render's etcd PKI, as on a real master),
// populated through bootkube's own API server (standalone, etcd back end) with render's manifests/
// and a workload applied by kubectl, then the API server stopped. Only etcd is left.
import { execFile, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createApiServer, listen, type ShimServer } from '../../src/apiserver/index.js';
import { createStorage, type Storage } from '../../src/apiserver/storage/index.js';
import { loadClusterConfig } from '../../src/config/index.js';
import { render } from '../../src/render/render.js';
import type { V1Pod } from '@kubernetes/client-node';
import { CheckpointStore, storeLayout } from '../../src/checkpointer/store.js';
import { sanitizeCheckpointPod } from '../../src/checkpointer/sanitize.js';
import { freePorts, startEtcd, type EtcdHandle } from '../helpers/etcd.js';

export const run = promisify(execFile);
export const NODE = 'master-0';

export const WORKLOAD = `apiVersion: v1
kind: Secret
metadata: {name: app-secret, namespace: default}
stringData: {password: hunter2}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config, namespace: default}
data: {greeting: hello}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers:
        - name: app
          image: registry.example/app:1
---
apiVersion: v1
kind: Service
metadata: {name: app, namespace: default}
spec:
  selector: {app: app}
  ports: [{port: 80}]
`;

export interface Cluster {
  work: string;
  /** render's asset dir (the operator's copy). */
  assets: string;
  etcd: EtcdHandle;
  /** The etcd TLS flags of recover and etcdctl, with render's etcd PKI. */
  etcdTls: { ca: string; cert: string; key: string };
  apiPort: number;
  /** Starts bootkube's API server on the cluster's etcd (stop it with stopApi). */
  startApi(): Promise<void>;
  stopApi(): Promise<void>;
  kubectl(...args: string[]): Promise<string>;
  etcdctl(...args: string[]): Promise<string>;
  /** etcdctl put KEY with VALUE on stdin (a value may hold NUL bytes, which argv cannot). */
  etcdPut(key: string, value: Buffer): void;
  close(): Promise<void>;
}

/** Renders, starts etcd and the API server, applies manifests/ and the workload, stops the API server. */
export async function bootkubeCluster(): Promise<Cluster> {
  const work = await mkdtemp(join(tmpdir(), 'recover-test-'));
  const assets = join(work, 'assets');
  const [apiPort, etcdPort] = await freePorts(2);
  const config = await loadClusterConfig({
    flags: {
      'node-name': NODE,
      'key-type': 'ecdsa-p256',
      'api-servers': `https://127.0.0.1:${apiPort}`,
      'etcd-servers': `https://127.0.0.1:${etcdPort}`,
    },
    bootkubeVersion: '0.1.0',
  });
  await render({ config, assetDir: assets, force: false });
  const tls = (p: string) => join(assets, 'tls', p);
  const etcdTls = {
    ca: tls('etcd/ca.crt'),
    cert: tls('apiserver-etcd-client.crt'),
    key: tls('apiserver-etcd-client.key'),
  };
  const etcd = await startEtcd({
    clientPort: etcdPort,
    tls: {
      certFile: tls('etcd/server.crt'),
      keyFile: tls('etcd/server.key'),
      caFile: etcdTls.ca,
      trustedCaFile: etcdTls.ca,
      clientCertFile: etcdTls.cert,
      clientKeyFile: etcdTls.key,
    },
  }).catch(async (err) => {
    await rm(work, { recursive: true, force: true });
    throw err;
  });
  let api: ShimServer | undefined;
  let storage: Storage | undefined;
  const cluster: Cluster = {
    work,
    assets,
    etcd,
    etcdTls,
    apiPort: apiPort!,
    async startApi() {
      storage = await createStorage({
        backend: 'etcd',
        endpoints: [etcd.endpoint],
        caFile: etcdTls.ca,
        certFile: etcdTls.cert,
        keyFile: etcdTls.key,
      });
      const r = (p: string) => readFile(join(assets, p), 'utf8');
      api = await createApiServer({
        storage,
        tlsCert: await r('tls/apiserver.crt'),
        tlsKey: await r('tls/apiserver.key'),
        clientCa: await r('tls/ca.crt'),
        serviceAccountKey: await r('tls/service-account.key'),
        mode: 'standalone',
      });
      await listen(api, { host: '127.0.0.1', port: apiPort! });
    },
    async stopApi() {
      await api?.close();
      await storage?.close();
      api = undefined;
      storage = undefined;
    },
    async kubectl(...args) {
      const { stdout } = await run('kubectl', [`--kubeconfig=${join(assets, 'auth/kubeconfig')}`, ...args], {
        timeout: 60_000,
      });
      return stdout;
    },
    async etcdctl(...args) {
      const flags = [
        `--endpoints=${etcd.endpoint}`,
        `--cacert=${etcdTls.ca}`,
        `--cert=${etcdTls.cert}`,
        `--key=${etcdTls.key}`,
      ];
      const { stdout } = await run('etcdctl', [...flags, ...args], {
        env: { ...process.env, ETCDCTL_API: '3' },
        timeout: 60_000,
        encoding: 'utf8',
      });
      return stdout;
    },
    etcdPut(key, value) {
      const flags = [
        `--endpoints=${etcd.endpoint}`,
        `--cacert=${etcdTls.ca}`,
        `--cert=${etcdTls.cert}`,
        `--key=${etcdTls.key}`,
      ];
      const r = spawnSync('etcdctl', [...flags, 'put', key], {
        input: value,
        env: { ...process.env, ETCDCTL_API: '3' },
        timeout: 60_000,
      });
      if (r.status !== 0) throw new Error(`etcdctl put ${key} failed: ${r.stderr}`);
    },
    async close() {
      await cluster.stopApi();
      await etcd.stop();
      await rm(work, { recursive: true, force: true });
    },
  };
  try {
    await cluster.startApi();
    await cluster.kubectl('apply', '-f', join(assets, 'manifests'));
    const workload = join(work, 'workload.yaml');
    await writeFile(workload, WORKLOAD);
    await cluster.kubectl('apply', '-f', workload);
    await cluster.stopApi();
    // The master's kubelet kubeconfig, as it stays on the node's disk through the outage.
    await mkdir(join(work, 'node/etc/kubernetes'), { recursive: true });
    await writeFile(
      join(work, 'node/etc/kubernetes/kubeconfig'),
      await readFile(join(assets, 'auth/kubeconfig-kubelet')),
    );
  } catch (err) {
    await cluster.close();
    throw err;
  }
  return cluster;
}

/** The path of the master's kubelet kubeconfig in the test's node root. */
export function kubeletKubeconfig(c: Cluster): string {
  return join(c.work, 'node/etc/kubernetes/kubeconfig');
}

/** An object as etcd holds it (JSON), read with etcdctl. */
export async function etcdObject(c: Cluster, key: string): Promise<any> {
  const out = await c.etcdctl('get', key, '--print-value-only');
  if (!out.trim()) throw new Error(`etcd holds no ${key}`);
  return JSON.parse(out);
}

/**
 * The apiserver checkpoint a master's pod checkpointer keeps, written under `root` by the
 * checkpointer's own sanitiser and store from the DaemonSet's pod and Secret in etcd.
 */
export async function writeApiserverCheckpoint(c: Cluster, root: string): Promise<void> {
  const ds = await etcdObject(c, '/registry/daemonsets/kube-system/kube-apiserver');
  const secret = await etcdObject(c, '/registry/secrets/kube-system/kube-apiserver');
  const pod: V1Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'kube-apiserver-x7k2p',
      namespace: 'kube-system',
      uid: 'pod-uid',
      labels: ds.spec.template.metadata.labels,
      annotations: ds.spec.template.metadata.annotations,
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'DaemonSet',
          name: 'kube-apiserver',
          uid: ds.metadata.uid,
          controller: true,
        },
      ],
    },
    spec: { ...ds.spec.template.spec, nodeName: NODE },
  };
  const data = Object.fromEntries(
    Object.entries(secret.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
  );
  const { manifest, dirs } = sanitizeCheckpointPod(pod, {
    secrets: new Map([['kube-apiserver', data]]),
    configMaps: new Map(),
    tokens: new Map(),
  });
  const store = new CheckpointStore(storeLayout(root), { log: { info() {}, warn() {} } });
  await store.init();
  await store.writeInactive(manifest);
  await store.writeDirs('kube-system/kube-apiserver-x7k2p', dirs, {
    uid: process.getuid!(),
    gid: process.getgid!(),
  });
}
