// `bootkube shim` as a user runs it: a subprocess serving a rendered asset dir on real etcd, driven
// by the real kubectl with the rendered admin kubeconfig; then what it left in etcd, key by key.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import Shim from '../../src/commands/shim.js';
import { startEtcd, type EtcdHandle } from '../helpers/etcd.js';
import { REPO_ROOT, runCommand } from '../helpers/run-command.js';
import { NODE, renderAssets, type Assets } from '../apiserver/http/support.js';

const run = promisify(execFile);

describe('bootkube shim (in-process)', () => {
  it('refuses an asset dir it cannot serve from with exit 2 and one line', async () => {
    const r = await runCommand(Shim, ['--asset-dir', '/nonexistent/assets']);
    assert.equal(r.exitCode, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(
      r.stderr,
      /^Error: --asset-dir \/nonexistent\/assets: cannot read auth\/kubeconfig \(no such file\): give the directory `bootkube render` wrote/,
    );
  });
});

describe('bootkube shim with kubectl', () => {
  let etcd: EtcdHandle;
  let assets: Assets;
  let work: string;
  let child: ChildProcess;
  let stderr = '';
  let kubeconfig: string;
  let manifests: string;

  const kubectl = async (...args: string[]) => {
    const r = await run('kubectl', args, {
      env: { ...process.env, KUBECONFIG: kubeconfig, HOME: work },
      timeout: 30_000,
    }).catch((e) => e);
    return {
      code: typeof r.code === 'number' ? r.code : 0,
      stdout: String(r.stdout ?? ''),
      stderr: String(r.stderr ?? ''),
    };
  };
  const ok = async (...args: string[]) => {
    const r = await kubectl(...args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const etcdKvs = async (prefix: string) => {
    const { stdout } = await run(
      'etcdctl',
      ['--endpoints', etcd.endpoint, 'get', '--prefix', prefix, '-w', 'json'],
      { env: { ...process.env, ETCDCTL_API: '3' } },
    );
    const kvs = (JSON.parse(stdout).kvs ?? []) as Array<{
      key: string;
      value: string;
      mod_revision: number;
      lease?: number;
    }>;
    return kvs.map((kv) => ({
      key: Buffer.from(kv.key, 'base64').toString(),
      value: Buffer.from(kv.value, 'base64').toString(),
      modRevision: String(kv.mod_revision),
      lease: kv.lease,
    }));
  };

  before(async () => {
    [etcd, assets] = await Promise.all([startEtcd(), renderAssets()]);
    work = await mkdtemp(join(tmpdir(), 'shim-kubectl-'));
    child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(REPO_ROOT, 'bin/dev.js'),
        'shim',
        '--asset-dir',
        assets.dir,
        '--bind',
        '127.0.0.1:0',
        '--etcd-servers',
        etcd.endpoint,
        '--v',
        '2',
      ],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const port = await new Promise<number>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`the shim did not start:\n${stderr}`)), 30_000);
      const check = () => {
        const m = /Serving the Kubernetes API on https:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
        if (m) (clearTimeout(t), resolve(Number(m[1])));
      };
      child.stderr!.on('data', check);
      child.once('exit', (code) => reject(new Error(`the shim exited (${code}):\n${stderr}`)));
    });
    kubeconfig = join(work, 'kubeconfig');
    await writeFile(
      kubeconfig,
      (await readFile(join(assets.dir, 'auth/kubeconfig'), 'utf8')).replace(
        'https://127.0.0.1:6443',
        `https://127.0.0.1:${port}`,
      ),
    );
    manifests = join(assets.dir, 'manifests');
  });

  after(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
    }
    await etcd?.stop();
    await assets?.cleanup();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('answers kubectl version and api-resources', async () => {
    const v = JSON.parse(await ok('version', '-o', 'json'));
    assert.match(v.serverVersion.gitVersion, /^v1\.32\./);
    const res = await ok('api-resources');
    assert.match(res, /^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND/);
    assert.match(res, /\npods\s+po\s+v1\s+true\s+Pod\n/);
    assert.match(res, /\ndeployments\s+deploy\s+apps\/v1\s+true\s+Deployment\n/);
    assert.match(res, /\nleases\s+coordination\.k8s\.io\/v1\s+true\s+Lease\n/);
  });

  it('applies the rendered manifests with default validation, then finds them unchanged', async () => {
    const first = await ok('apply', '-f', manifests);
    const lines = first.trim().split('\n');
    assert.ok(lines.length > 20, first);
    for (const l of lines) assert.match(l, / created$/);
    const rv = async () =>
      JSON.parse(await ok('get', 'pdb', 'kube-scheduler', '-n', 'kube-system', '-o', 'json')).metadata
        .resourceVersion;
    const before = await rv();
    const second = await ok('apply', '-f', manifests);
    for (const l of second.trim().split('\n')) {
      // A PDB's selector has patchStrategy "replace", so kubectl always sends it and says "configured",
      // against kube-apiserver too; the write changes nothing, so nothing is stored.
      if (l.startsWith('poddisruptionbudget.policy/')) assert.match(l, / configured$/);
      else assert.match(l, / unchanged$/);
    }
    assert.equal(await rv(), before, 'a patch that changes nothing writes nothing');
  });

  it('prints nodes and pods as server-side tables, and objects as YAML and JSON', async () => {
    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: NODE, labels: { 'node-role.kubernetes.io/control-plane': '' } },
      status: {
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'KubeletReady',
            message: 'ok',
            lastHeartbeatTime: '2025-01-01T00:00:00Z',
            lastTransitionTime: '2025-01-01T00:00:00Z',
          },
        ],
        nodeInfo: { kubeletVersion: 'v1.32.4' },
        addresses: [{ type: 'InternalIP', address: '10.0.0.10' }],
      },
    };
    await writeFile(join(work, 'node.json'), JSON.stringify(node));
    await ok('create', '-f', join(work, 'node.json'));
    const nodes = await ok('get', 'nodes');
    assert.match(nodes, /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\n/);
    assert.match(nodes, new RegExp(`\\n?${NODE}\\s+Ready\\s+control-plane\\s+\\d+s\\s+v1\\.32\\.4\\n`));
    const wide = await ok('get', 'nodes', '-o', 'wide');
    assert.match(wide, /INTERNAL-IP/);
    assert.match(wide, /10\.0\.0\.10/);
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        nodeName: NODE,
        priorityClassName: 'system-cluster-critical',
        containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }],
      },
    };
    await writeFile(join(work, 'pod.json'), JSON.stringify(pod));
    await ok('apply', '-f', join(work, 'pod.json'));
    const pods = await ok('get', 'pods', '-A');
    assert.match(pods, /^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n/);
    assert.match(pods, /default\s+web\s+0\/1\s+Pending\s+0\s+\d+s/);
    const yaml = await ok('get', 'deployment', 'coredns', '-n', 'kube-system', '-o', 'yaml');
    assert.match(yaml, /^apiVersion: apps\/v1\nkind: Deployment\n/);
    const json = JSON.parse(await ok('get', 'pod', 'web', '-o', 'json'));
    assert.equal(json.kind, 'Pod');
    assert.equal(json.spec.priority, 2000000000);
  });

  it('shows a change to kubectl get -w', async () => {
    const w = spawn('kubectl', ['get', 'configmaps', '-n', 'kube-system', '-w'], {
      env: { ...process.env, KUBECONFIG: kubeconfig, HOME: work },
    });
    let out = '';
    w.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    try {
      await waitFor(() => /kube-flannel-cfg/.test(out), 'the initial list');
      await ok('label', 'configmap', 'coredns', '-n', 'kube-system', 'changed=yes');
      await waitFor(
        () => out.split('\n').filter((l) => l.startsWith('coredns ')).length >= 2,
        'the watch event',
        () => out,
      );
    } finally {
      w.kill();
    }
  });

  it('waits for a condition a status patch sets', async () => {
    const wait = kubectl('wait', '--for=condition=Ready', 'pod/web', '--timeout=20s');
    await new Promise((r) => setTimeout(r, 300));
    await ok(
      'patch',
      'pod',
      'web',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"conditions":[{"type":"Ready","status":"True"}]}}',
    );
    const r = await wait;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /pod\/web condition met/);
  });

  it('patches with all three patch types', async () => {
    await ok('patch', 'configmap', 'coredns', '-n', 'kube-system', '-p', '{"data":{"strategic":"1"}}');
    await ok(
      'patch',
      'configmap',
      'coredns',
      '-n',
      'kube-system',
      '--type=merge',
      '-p',
      '{"data":{"merge":"2"}}',
    );
    await ok(
      'patch',
      'configmap',
      'coredns',
      '-n',
      'kube-system',
      '--type=json',
      '-p',
      '[{"op":"add","path":"/data/json","value":"3"}]',
    );
    const cm = JSON.parse(await ok('get', 'configmap', 'coredns', '-n', 'kube-system', '-o', 'json'));
    assert.deepEqual([cm.data.strategic, cm.data.merge, cm.data.json], ['1', '2', '3']);
  });

  it('deletes', async () => {
    assert.match(
      await ok('delete', 'configmap', 'kube-proxy', '-n', 'kube-system'),
      /configmap "kube-proxy" deleted/,
    );
    assert.match(await ok('delete', 'pod', 'web', '--grace-period=0', '--force'), /pod "web" force deleted/);
    const gone = await kubectl('get', 'pod', 'web');
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /Error from server \(NotFound\): pods "web" not found/);
  });

  it('left etcd as kube-apiserver would have: keys, JSON values, revisions', async () => {
    const kvs = await etcdKvs('/registry/');
    const keys = kvs.map((k) => k.key);
    for (const k of [
      `/registry/minions/${NODE}`,
      '/registry/namespaces/kube-system',
      '/registry/services/specs/default/kubernetes',
      '/registry/services/specs/kube-system/kube-dns',
      '/registry/deployments/kube-system/coredns',
      '/registry/daemonsets/kube-system/kube-flannel',
      '/registry/configmaps/kube-system/coredns',
      '/registry/clusterroles/flannel',
      '/registry/serviceaccounts/kube-system/default',
    ]) {
      assert.ok(keys.includes(k), `missing ${k}`);
    }
    for (const kv of kvs) {
      const obj = JSON.parse(kv.value);
      assert.ok(obj.apiVersion && obj.kind, `${kv.key}: apiVersion and kind`);
      assert.match(obj.metadata.uid, /^[0-9a-f-]{36}$/, `${kv.key}: uid`);
      assert.ok(!('resourceVersion' in obj.metadata), `${kv.key}: no resourceVersion stored`);
    }
    const served = JSON.parse(await ok('get', 'deployment', 'coredns', '-n', 'kube-system', '-o', 'json'));
    const stored = kvs.find((k) => k.key === '/registry/deployments/kube-system/coredns')!;
    assert.equal(served.metadata.resourceVersion, stored.modRevision);
    const cm = JSON.parse(await ok('get', 'configmap', 'coredns', '-n', 'kube-system', '-o', 'json'));
    const cmStored = (await etcdKvs('/registry/configmaps/kube-system/coredns'))[0]!;
    assert.equal(cm.metadata.resourceVersion, cmStored.modRevision);
  });

  it('keeps Lease MicroTimes verbatim and writes events with an etcd lease', async () => {
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: NODE, namespace: 'kube-node-lease' },
      spec: {
        holderIdentity: NODE,
        leaseDurationSeconds: 40,
        renewTime: '2025-06-01T10:00:00.123456Z',
        acquireTime: '2025-06-01T09:00:00.000001Z',
      },
    };
    await writeFile(join(work, 'lease.json'), JSON.stringify(lease));
    await ok('create', '-f', join(work, 'lease.json'));
    const stored = JSON.parse((await etcdKvs(`/registry/leases/kube-node-lease/${NODE}`))[0]!.value);
    assert.equal(stored.spec.renewTime, '2025-06-01T10:00:00.123456Z');
    assert.match(stored.spec.acquireTime, /\.\d{6}Z$/);
    const ev = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'e1', namespace: 'default' },
      involvedObject: { kind: 'Node', name: NODE },
      reason: 'Test',
      message: 'm',
      type: 'Normal',
    };
    await writeFile(join(work, 'event.json'), JSON.stringify(ev));
    await ok('create', '-f', join(work, 'event.json'));
    const evKv = (await etcdKvs('/registry/events/default/e1'))[0]!;
    assert.ok(evKv.lease && evKv.lease !== 0, 'events carry an etcd lease');
  });

  it('logs one line per request at --v 2 and stops cleanly on SIGTERM', async () => {
    assert.match(
      stderr,
      /"HTTP" verb="LIST" URI="\/api\/v1\/nodes\?limit=500" latency="[\d.]+ms" userAgent="kubectl\/v1\.32[^"]*" user="kubernetes-admin" srcIP="127\.0\.0\.1" resp=200/,
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /Stopped \(SIGTERM\)/);
  });
});

async function waitFor(cond: () => boolean, what: string, show?: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${show ? `:\n${show()}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
