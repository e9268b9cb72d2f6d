// recover against a real etcd holding a bootkube cluster (support.ts): from etcd, from a snapshot
// file, from a running apiserver and from checkpoint dirs; each recovered dir must load in start's
// own loader, carry bootstrap pods equivalent to the self-hosted ones, and leave etcd untouched.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { lstat, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { freePorts } from '../helpers/etcd.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { V1Pod } from '@kubernetes/client-node';
import { loadAssetDir } from '../../src/bootstrap/asset-dir.js';
import { contains } from '../../src/bootstrap/objects.js';
import { HOST_PATHS } from '../../src/render/constants.js';
import { recover, RecoveryCredentialsError, type RecoverResult } from '../../src/recovery/index.js';
import {
  bootkubeCluster,
  kubeletKubeconfig,
  run,
  writeApiserverCheckpoint,
  type Cluster,
} from './support.js';

let c: Cluster;
before(async () => {
  c = await bootkubeCluster();
});
after(async () => {
  await c?.close();
});

const etcdSource = () => ({
  kind: 'etcd' as const,
  endpoints: [c.etcd.endpoint],
  caFile: c.etcdTls.ca,
  certFile: c.etcdTls.cert,
  keyFile: c.etcdTls.key,
});

async function revision(): Promise<string> {
  const out = JSON.parse(await c.etcdctl('get', '/', '--prefix', '--keys-only', '--limit=1', '-w', 'json'));
  return String(out.header.revision);
}

async function etcdObject(key: string): Promise<any> {
  const out = await c.etcdctl('get', key, '--print-value-only');
  assert.ok(out.trim(), `etcd holds ${key}`);
  return JSON.parse(out);
}

function bootstrapPod(dir: string, file: string): Promise<V1Pod> {
  return readFile(join(dir, 'bootstrap-manifests', file), 'utf8').then((t) => parseYaml(t) as V1Pod);
}

/** The bootstrap pod runs what the self-hosted template runs, the way render's bootstrap pods do. */
function assertEquivalent(pod: V1Pod, template: any, what: string): void {
  const spec = pod.spec!;
  assert.equal(spec.hostNetwork, true, `${what}: hostNetwork`);
  assert.equal(spec.automountServiceAccountToken, false, `${what}: no service-account token`);
  assert.equal(
    spec.securityContext,
    undefined,
    `${what}: runs as root (bootstrap-secrets is root's 0600 files)`,
  );
  assert.equal(spec.nodeSelector, undefined, `${what}: no nodeSelector (start binds it)`);
  assert.deepEqual(
    pod.metadata?.annotations?.['checkpointer.alpha.coreos.com/checkpoint'],
    undefined,
    `${what}: not checkpointed`,
  );
  const want = [...(template.spec.initContainers ?? []), ...template.spec.containers];
  const have = [...(spec.initContainers ?? []), ...spec.containers];
  assert.deepEqual(
    have.map((x) => [x.name, x.image, x.command, x.args, x.env, x.volumeMounts]),
    want.map((x: any) => [x.name, x.image, x.command, x.args, x.env, x.volumeMounts]),
    `${what}: same containers, images, commands, env and mounts`,
  );
  for (const x of have) assert.equal(x.ports, undefined, `${what}: container ${x.name} declares no ports`);
  assert.equal(spec.volumes?.length, template.spec.volumes.length, `${what}: same volumes`);
  for (const v of template.spec.volumes) {
    const got = spec.volumes!.find((x) => x.name === v.name);
    assert.ok(got, `${what}: volume ${v.name} kept`);
    if (v.secret)
      assert.deepEqual(
        got.hostPath,
        { path: HOST_PATHS.bootstrapSecrets, type: 'Directory' },
        `${what}: Secret volume ${v.name} → bootstrap-secrets`,
      );
    else assert.deepEqual(got, v, `${what}: volume ${v.name} unchanged`);
  }
}

async function assertSecretModes(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath ?? entry.path, entry.name);
    const mode = (await lstat(path)).mode & 0o777;
    if (entry.isDirectory()) assert.equal(mode, 0o700, `${path}: dirs are 0700`);
    else if (/\.key$|kubeconfig|secret\.yaml$/.test(entry.name))
      assert.equal(mode, 0o600, `${path}: secrets are 0600`);
  }
  assert.equal((await stat(dir)).mode & 0o777, 0o700, `${dir}: 0700`);
}

describe('recover from etcd', () => {
  let result: RecoverResult;
  let dir: string;
  test('writes a dir start loads, with the control plane and its secrets, and writes nothing to etcd', async () => {
    dir = join(c.work, 'from-etcd');
    const before = await revision();
    result = await recover({
      recoveryDir: dir,
      source: etcdSource(),
      kubeletKubeconfig: kubeletKubeconfig(c),
    });
    assert.equal(await revision(), before, 'etcd revision unchanged: recover only reads');
    const asset = await loadAssetDir(dir);
    assert.deepEqual(
      asset.bootstrapPods.map((p) => p.object.metadata.name).sort(),
      ['bootstrap-kube-apiserver', 'bootstrap-kube-controller-manager', 'bootstrap-kube-scheduler'],
      'three bootstrap pods',
    );
    assert.equal(asset.apiServer.port, String(c.apiPort), 'the admin kubeconfig names the cluster API');
    const rendered = await loadAssetDir(c.assets);
    assert.deepEqual(
      [...asset.bootstrapSecrets.keys()].sort(),
      [...rendered.bootstrapSecrets.keys()].sort(),
      'bootstrap-secrets gets the same files as from the rendered dir',
    );
    for (const [k, v] of rendered.bootstrapSecrets)
      assert.ok(asset.bootstrapSecrets.get(k)?.equals(v), `bootstrap secret ${k} identical`);
    assert.equal(
      result.adminCredentials,
      'issued',
      'admin certificate issued with the CA key from the Secret',
    );
    assert.equal(result.revision, before, 'read at the revision etcd had');
    await assertSecretModes(dir);
    for (const f of [
      'ca.crt',
      'apiserver.crt',
      'apiserver.key',
      'etcd/ca.crt',
      'apiserver-etcd-client.key',
      'service-account.key',
    ])
      assert.equal(
        await readFile(join(dir, 'tls', f), 'utf8'),
        await readFile(join(c.assets, 'tls', f), 'utf8'),
        `tls/${f} as rendered`,
      );
  });

  test('the bootstrap pods match the self-hosted specs', async () => {
    const ds = await etcdObject('/registry/daemonsets/kube-system/kube-apiserver');
    const cm = await etcdObject('/registry/deployments/kube-system/kube-controller-manager');
    const sched = await etcdObject('/registry/deployments/kube-system/kube-scheduler');
    const api = await bootstrapPod(dir, 'bootstrap-apiserver.yaml');
    assertEquivalent(api, ds.spec.template, 'apiserver');
    assert.equal(api.spec!.initContainers?.[0]?.name, 'install-lockexec', 'the lockexec init container kept');
    assert.equal(
      api.spec!.containers[0]!.command![0],
      '/lockexec/lockexec',
      'the apiserver still starts through lockexec',
    );
    assertEquivalent(
      await bootstrapPod(dir, 'bootstrap-controller-manager.yaml'),
      cm.spec.template,
      'controller-manager',
    );
    assertEquivalent(await bootstrapPod(dir, 'bootstrap-scheduler.yaml'), sched.spec.template, 'scheduler');
  });

  test('manifests/ holds the control plane as etcd does, cleaned of what the server sets', async () => {
    assert.deepEqual(
      [...result.objects].sort(),
      [
        'DaemonSet kube-system/kube-apiserver',
        'Deployment kube-system/kube-controller-manager',
        'Deployment kube-system/kube-scheduler',
        'Secret kube-system/kube-apiserver',
        'Secret kube-system/kube-controller-manager',
        'Secret kube-system/kube-scheduler',
      ],
      'objects listed',
    );
    const asset = await loadAssetDir(dir);
    for (const { file, object } of asset.manifests) {
      const m = object.metadata as Record<string, unknown>;
      for (const f of ['uid', 'resourceVersion', 'managedFields', 'creationTimestamp'])
        assert.equal(m[f], undefined, `${file}: no metadata.${f}`);
      assert.equal(object.status, undefined, `${file}: no status`);
      const plural =
        object.kind === 'Secret' ? 'secrets' : object.kind === 'DaemonSet' ? 'daemonsets' : 'deployments';
      const live = await etcdObject(`/registry/${plural}/kube-system/${object.metadata.name}`);
      assert.ok(contains(live, object), `${file}: start would find it existing and skip it`);
    }
  });

  test('the issued admin kubeconfig is accepted by the cluster, which still holds the workload', async () => {
    await c.startApi();
    try {
      // Asynchronously: the API server runs in this process.
      const { stdout } = await run(
        'kubectl',
        [
          `--kubeconfig=${join(dir, 'auth/kubeconfig')}`,
          'get',
          'deployment',
          'app',
          '-n',
          'default',
          '-o',
          'json',
        ],
        { encoding: 'utf8', timeout: 60_000 },
      );
      const out = JSON.parse(stdout);
      const stored = await etcdObject('/registry/deployments/default/app');
      assert.equal(out.metadata.uid, stored.metadata.uid, 'the workload has its UID');
    } finally {
      await c.stopApi();
    }
  });

  test('--force replaces an earlier recovery; without it the dir is refused', async () => {
    await assert.rejects(
      recover({ recoveryDir: dir, source: etcdSource(), kubeletKubeconfig: kubeletKubeconfig(c) }),
      (e: any) => e.code === 'OUTPUT_DIR_UNUSABLE',
      'a non-empty dir is refused',
    );
    const again = await recover({
      recoveryDir: dir,
      source: etcdSource(),
      nodeName: 'master-1',
      force: true,
    });
    assert.equal(again.kubeletCredentials, 'issued', 'kubelet certificate issued for --node-name');
    const kc = parseYaml(await readFile(join(dir, 'auth/kubeconfig-kubelet'), 'utf8'));
    const cert = Buffer.from(kc.users[0].user['client-certificate-data'], 'base64').toString();
    const { X509Certificate } = await import('node:crypto');
    assert.match(new X509Certificate(cert).subject, /CN=system:node:master-1/, 'the node identity asked for');
    await loadAssetDir(dir);
  });
});

describe('recover from an etcd snapshot file', () => {
  test('restores it into a private etcd, recovers the same control plane, and removes everything after', async () => {
    const snapshot = join(c.work, 'snapshot.db');
    await c.etcdctl('snapshot', 'save', snapshot);
    const before = await revision();
    let temp = '';
    const dir = join(c.work, 'from-backup');
    const r = await recover({
      recoveryDir: dir,
      source: { kind: 'backup', file: snapshot, onTempDir: (d) => (temp = d) },
      kubeletKubeconfig: kubeletKubeconfig(c),
    });
    assert.ok(temp, 'a temp dir was used');
    assert.equal(existsSync(temp), false, `the restored data ${temp} is removed`);
    assert.equal(await revision(), before, 'the live etcd is untouched');
    assert.match(r.source, /etcd backup .*snapshot\.db/, 'the source is named');
    await loadAssetDir(dir);
    const fromEtcd = join(c.work, 'from-etcd');
    for (const f of [
      'bootstrap-apiserver.yaml',
      'bootstrap-controller-manager.yaml',
      'bootstrap-scheduler.yaml',
    ])
      assert.deepEqual(
        await bootstrapPod(dir, f),
        await bootstrapPod(fromEtcd, f),
        `${f}: as recovered from the live etcd`,
      );
  });
});

describe('recover from a running apiserver', () => {
  test('reads the control plane through the kubeconfig, and keeps that kubeconfig as the admin one', async () => {
    await c.startApi();
    let r: RecoverResult;
    const dir = join(c.work, 'from-api');
    try {
      r = await recover({
        recoveryDir: dir,
        source: { kind: 'apiserver', kubeconfig: join(c.assets, 'auth/kubeconfig') },
        kubeletKubeconfig: kubeletKubeconfig(c),
      });
    } finally {
      await c.stopApi();
    }
    assert.equal(r.adminCredentials, 'source-kubeconfig', 'the given admin kubeconfig is kept');
    const asset = await loadAssetDir(dir);
    assert.equal(asset.bootstrapPods.length, 3, 'three bootstrap pods');
    const fromEtcd = join(c.work, 'from-etcd');
    for (const f of [
      'bootstrap-apiserver.yaml',
      'bootstrap-controller-manager.yaml',
      'bootstrap-scheduler.yaml',
    ])
      assert.deepEqual(
        await bootstrapPod(dir, f),
        await bootstrapPod(fromEtcd, f),
        `${f}: as recovered from etcd`,
      );
  });
});

describe('recover from checkpoint dirs', () => {
  let root: string;
  before(async () => {
    root = join(c.work, 'master-root');
    await writeApiserverCheckpoint(c, root);
  });

  test('rebuilds the apiserver from the checkpoint, and the rest from the etcd it names', async () => {
    const dir = join(c.work, 'from-checkpoints');
    const r = await recover({
      recoveryDir: dir,
      source: { kind: 'checkpoints', dir: join(root, 'etc/kubernetes') },
      kubeletKubeconfig: kubeletKubeconfig(c),
    });
    assert.deepEqual(r.missing, [], 'nothing missing');
    assert.equal(
      r.adminCredentials,
      'issued',
      "admin issued with the CA key of the controller-manager's Secret in etcd",
    );
    assert.deepEqual(
      r.components.map((x) => x.from),
      [
        'Pod kube-system/kube-apiserver',
        'Deployment kube-system/kube-controller-manager',
        'Deployment kube-system/kube-scheduler',
      ],
      "the apiserver from its checkpoint (named after its DaemonSet), the others from the apiserver's etcd",
    );
    assert.match(
      r.notes.join('\n'),
      /controllerManager and scheduler: read from etcd at https:\/\/127\.0\.0\.1:\d+ \(the checkpointed apiserver's\)/,
      'says where they came from',
    );
    const asset = await loadAssetDir(dir);
    const fromEtcd = join(c.work, 'from-etcd');
    for (const f of [
      'bootstrap-apiserver.yaml',
      'bootstrap-controller-manager.yaml',
      'bootstrap-scheduler.yaml',
    ])
      assert.deepEqual(
        await bootstrapPod(dir, f),
        await bootstrapPod(fromEtcd, f),
        `${f}: the same pod as recovered from etcd`,
      );
    const live = await etcdObject('/registry/secrets/kube-system/kube-apiserver');
    const manifest = asset.manifests.find(
      (m) => m.object.kind === 'Secret' && m.object.metadata.name === 'kube-apiserver',
    )!.object;
    assert.ok(contains(live, manifest), 'the Secret rebuilt from the checkpoint files is the one etcd holds');
    await assertSecretModes(dir);
  });

  test("with the apiserver's etcd gone too, the dir holds the apiserver alone and says why", async () => {
    // A checkpoint whose apiserver names an etcd that does not answer.
    const other = join(c.work, 'master-root-2');
    await writeApiserverCheckpoint(c, other);
    const file = join(other, 'etc/kubernetes/inactive-manifests/kube-system-kube-apiserver-x7k2p.json');
    const [port] = await freePorts(1);
    await writeFile(
      file,
      (await readFile(file, 'utf8')).replace(
        /--etcd-servers=https:\/\/127\.0\.0\.1:\d+/,
        `--etcd-servers=https://127.0.0.1:${port}`,
      ),
    );
    const dir = join(c.work, 'from-checkpoints-alone');
    const source = { kind: 'checkpoints' as const, dir: join(other, 'etc/kubernetes') };
    await assert.rejects(
      recover({ recoveryDir: dir, source, kubeletKubeconfig: kubeletKubeconfig(c) }),
      (e: any) => e instanceof RecoveryCredentialsError && /--admin-kubeconfig/.test(e.userMessage()),
      "without the CA key (the apiserver's Secret has none) it asks for --admin-kubeconfig",
    );
    assert.equal(existsSync(dir), false, 'no recovery dir left behind');
    const r = await recover({
      recoveryDir: dir,
      source: { kind: 'checkpoints', dir: join(other, 'etc/kubernetes') },
      adminKubeconfig: join(c.assets, 'auth/kubeconfig'),
      kubeletKubeconfig: kubeletKubeconfig(c),
    });
    assert.deepEqual(
      r.missing,
      ['controllerManager', 'scheduler'],
      'the checkpointer keeps only the apiserver',
    );
    assert.match(r.notes.join('\n'), /could not be read .*ECONNREFUSED/, 'says why');
    const asset = await loadAssetDir(dir);
    assert.deepEqual(
      asset.bootstrapPods.map((p) => p.object.metadata.name),
      ['bootstrap-kube-apiserver'],
      'the apiserver alone',
    );
  });
});
