// bootkube recover as a user runs it: one source, --json, and every bad source refused in one line
// with exit 2 and no recovery dir left behind.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Recover from '../../src/commands/recover.js';
import type { RecoverResult } from '../../src/recovery/index.js';
import { freePorts } from '../helpers/etcd.js';
import { REPO_ROOT, runCommand } from '../helpers/run-command.js';
import { waitFor, within } from '../helpers/wait.js';
import { bootkubeCluster, kubeletKubeconfig, run, type Cluster } from '../recovery/support.js';

let c: Cluster;
let n = 0;
before(async () => {
  c = await bootkubeCluster();
});
after(async () => {
  await c?.close();
});

const out = () => join(c.work, `cmd-${n++}`);
const etcdFlags = () => [
  '--etcd-servers',
  c.etcd.endpoint,
  '--etcd-ca-path',
  c.etcdTls.ca,
  '--etcd-certificate-path',
  c.etcdTls.cert,
  '--etcd-private-key-path',
  c.etcdTls.key,
];

/** Runs recover expecting a refusal: exit 2, one `Error:` line naming `pattern`, no dir. */
async function refused(args: string[], pattern: RegExp): Promise<string> {
  const dir = out();
  const r = await runCommand(Recover, [
    '--recovery-dir',
    dir,
    '--kubelet-kubeconfig',
    kubeletKubeconfig(c),
    ...args,
  ]);
  assert.equal(r.exitCode, 2, `exit 2 for ${args.join(' ')}; stderr: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, got: ${r.stderr}`);
  assert.match(lines[0]!, /^Error: /, 'an error line');
  assert.match(lines[0]!, pattern, 'says what is wrong');
  assert.equal(r.stdout, '', 'nothing on stdout');
  assert.equal(existsSync(dir), false, 'no recovery dir left behind');
  return lines[0]!;
}

describe('bootkube recover', () => {
  test('from etcd: a human summary, then --json lists what it wrote', async () => {
    const human = await runCommand(Recover, [
      '--recovery-dir',
      out(),
      '--kubelet-kubeconfig',
      kubeletKubeconfig(c),
      ...etcdFlags(),
    ]);
    assert.equal(human.exitCode, 0, `exit 0; stderr: ${human.stderr}`);
    assert.match(
      human.stdout,
      /DaemonSet kube-system\/kube-apiserver → bootstrap-manifests\/bootstrap-apiserver\.yaml/,
      'names what became what',
    );
    assert.match(human.stdout, /Next: bootkube start --asset-dir /, 'says what to run next');
    const dir = out();
    const r = await runCommand(Recover, [
      '--recovery-dir',
      dir,
      '--kubelet-kubeconfig',
      kubeletKubeconfig(c),
      ...etcdFlags(),
      '--json',
    ]);
    assert.equal(r.exitCode, 0, `exit 0; stderr: ${r.stderr}`);
    const json = JSON.parse(r.stdout) as RecoverResult;
    assert.ok(
      json.files.some((f) => f.path === 'bootstrap-manifests/bootstrap-apiserver.yaml'),
      '--json lists the bootstrap pods',
    );
    assert.ok(
      json.files.some((f) => f.path === 'tls/apiserver-etcd-client.key' && f.mode === '0600'),
      '--json lists keys with their modes',
    );
    assert.deepEqual(
      json.components.map((x) => x.role),
      ['apiserver', 'controllerManager', 'scheduler'],
      'the three components',
    );
    assert.deepEqual(
      (await readdir(dir)).sort(),
      ['auth', 'bootstrap-manifests', 'manifests', 'tls'],
      'the dirs of an asset dir',
    );
  });

  test('no source, or two: refused', async () => {
    await refused(
      [],
      /recover needs a source.*--etcd-servers, --etcd-backup-file, --kubeconfig, --checkpoint-dir/,
    );
    await refused(
      [...etcdFlags(), '--kubeconfig', join(c.assets, 'auth/kubeconfig')],
      /one source, not --etcd-servers and --kubeconfig/,
    );
    await refused(
      ['--etcd-backup-file', '/x', '--etcd-ca-path', c.etcdTls.ca],
      /--etcd-ca-path goes with --etcd-servers/,
    );
  });

  test('unreachable etcd', async () => {
    const [port] = await freePorts(1);
    const flags = etcdFlags();
    flags[1] = `https://127.0.0.1:${port}`;
    await refused(flags, /cannot read etcd at https:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  });

  test("etcd with the wrong CA (the cluster's, not etcd's)", async () => {
    const flags = etcdFlags();
    flags[3] = join(c.assets, 'tls/ca.crt');
    await refused(flags, /cannot read etcd .*TLS was refused/);
  });

  test('a file that is no etcd snapshot', async () => {
    const file = join(c.work, 'not-a-snapshot.db');
    await writeFile(file, 'just some bytes, not bolt\n'.repeat(200));
    await refused(['--etcd-backup-file', file], /not-a-snapshot\.db: not an etcd v3 snapshot/);
    await refused(['--etcd-backup-file', join(c.work, 'missing.db')], /missing\.db: no such file/);
  });

  test('a prefix without a control plane', async () => {
    await refused(
      [...etcdFlags(), '--etcd-prefix', '/nothing-here'],
      /found no Kubernetes objects in etcd at .*prefix \/nothing-here\).*--etcd-prefix/,
    );
  });

  test('a cluster not made by bootkube', async () => {
    // kubeadm's layout: static control-plane pods, no self-hosted workloads; CoreDNS as a Deployment.
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'coredns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } },
      spec: { template: { spec: { containers: [{ name: 'c', image: 'coredns' }] } } },
    };
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'kube-apiserver-m0',
        namespace: 'kube-system',
        labels: { component: 'kube-apiserver', tier: 'control-plane' },
      },
    };
    c.etcdPut('/kubeadm/deployments/kube-system/coredns', Buffer.from(JSON.stringify(deployment)));
    c.etcdPut('/kubeadm/pods/kube-system/kube-apiserver-m0', Buffer.from(JSON.stringify(pod)));
    await refused(
      [...etcdFlags(), '--etcd-prefix', '/kubeadm'],
      /holds a cluster, but no self-hosted control plane as bootkube makes it.*--apiserver-selector/,
    );
  });

  test('a protobuf value: the error names the key', async () => {
    const key = '/proto/daemonsets/kube-system/kube-apiserver';
    c.etcdPut(
      key,
      Buffer.concat([
        Buffer.from('k8s\0', 'latin1'),
        Buffer.from([0x0a, 0x0b, 0x0a, 0x07, 0x61, 0x70, 0x70, 0x73]),
      ]),
    );
    const line = await refused(
      [...etcdFlags(), '--etcd-prefix', '/proto'],
      /etcd key \/proto\/daemonsets\/kube-system\/kube-apiserver: .*protobuf/,
    );
    assert.match(line, /--storage-media-type=application\/json/, 'says how to fix it');
  });

  test('an apiserver that does not answer', async () => {
    await refused(
      ['--kubeconfig', join(c.assets, 'auth/kubeconfig')],
      /cannot read the apiserver at https:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/,
    );
  });

  test('checkpoint dir without checkpoints, and a bad selector', async () => {
    const empty = join(c.work, 'empty-root');
    await mkdir(join(empty, 'inactive-manifests'), { recursive: true });
    await refused(
      ['--checkpoint-dir', empty, '--admin-kubeconfig', join(c.assets, 'auth/kubeconfig')],
      /found no Kubernetes objects in the checkpoints in /,
    );
    await refused(
      ['--checkpoint-dir', join(c.work, 'nowhere')],
      /--checkpoint-dir .*nowhere: inactive-manifests\/ cannot be read/,
    );
    await refused([...etcdFlags(), '--apiserver-selector', 'k8s-app in (a'], /--apiserver-selector/);
  });

  test('--json on a refusal prints the error as JSON', async () => {
    const r = await runCommand(Recover, ['--recovery-dir', out(), '--json']);
    assert.equal(r.exitCode, 2, 'exit 2');
    assert.equal(JSON.parse(r.stdout).error.code, 'RECOVERY_FLAGS_INVALID', 'a stable code');
  });

  test('Ctrl-C while the backup is served: the private etcd and the restored data are removed', async () => {
    const snapshot = join(c.work, 'ctrl-c.db');
    await c.etcdctl('snapshot', 'save', snapshot);
    const tmp = await mkdtemp(join(tmpdir(), 'recover-sigint-'));
    try {
      const dir = out();
      const child = spawn(
        process.execPath,
        [
          join(REPO_ROOT, 'bin/dev.js'),
          'recover',
          '--recovery-dir',
          dir,
          '--etcd-backup-file',
          snapshot,
          '--kubelet-kubeconfig',
          kubeletKubeconfig(c),
        ],
        {
          env: { ...process.env, TMPDIR: tmp },
          stdio: 'ignore',
        },
      );
      const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
        child.once('exit', (code, signal) => resolve(code ?? signal)),
      );
      // The private etcd's own temp dir appears once it is being started.
      await waitFor(async () => (await readdir(tmp)).some((d) => d.startsWith('bootkube-etcd-')), {
        timeoutMs: 30_000,
        what: 'the private etcd to start',
      });
      child.kill('SIGINT');
      const how = await within(exited, { timeoutMs: 15_000, what: 'recover to exit on SIGINT' });
      assert.equal(how, 130, 'recover exits 130 (128 + SIGINT) after cleaning up');
      // tsx keeps its cache in TMPDIR too: only bootkube's own dirs must go.
      const ours = async () => (await readdir(tmp)).filter((d) => d.startsWith('bootkube-'));
      await waitFor(async () => (await ours()).length === 0, {
        timeoutMs: 15_000,
        what: `bootkube's temp dirs in ${tmp} to go`,
      });
      const { stdout } = await run('ps', ['-eo', 'args']);
      assert.equal(
        stdout.split('\n').filter((l) => l.includes(tmp)).length,
        0,
        'no etcd left running on the restored data',
      );
      assert.equal(existsSync(dir), false, 'no recovery dir');
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
