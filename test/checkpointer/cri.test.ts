/**
 * The CRI source against a real containerd (root, state and sockets in a temp dir; the image is
 * built here): pods identified by their CRI labels, a container blocked in lockexec on the hand-off
 * lock reported as running, a stopped container not; and a runtime that is missing, hangs or is
 * aborted answers `unknown`, never an empty list.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { criRuntimeSource, criTarget } from '../../src/checkpointer/sources/cri.js';
import { runs } from '../../src/checkpointer/view.js';
import { flockState } from '../../src/lock/index.js';
import { ANNOTATIONS } from '../../src/render/constants.js';
import { buildLockexec } from '../helpers/lockexec.js';
import { waitFor } from '../helpers/wait.js';
import { containerdAvailable, Containerd, CriAdmin } from './containerd.js';

const never = new AbortController().signal;

describe('CRI source: failures are unknown', () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), 'cri-fail-'))));
  after(() => rm(dir, { recursive: true, force: true }));

  it('no runtime on the socket', async () => {
    const src = criRuntimeSource({ endpoint: `unix://${dir}/missing.sock`, timeoutMs: 2000 });
    const r = await src.list(never);
    src.close();
    assert.equal(r.state, 'unknown');
  });

  it('a runtime that accepts and never answers: unknown once the deadline passes', async () => {
    const sockets: Socket[] = [];
    const server: Server = createServer((s) => sockets.push(s));
    const path = join(dir, 'hang.sock');
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const src = criRuntimeSource({ endpoint: path, timeoutMs: 300 });
    const started = Date.now();
    const r = await src.list(never);
    src.close();
    for (const s of sockets) s.destroy();
    server.close();
    assert.equal(r.state, 'unknown');
    assert.ok(Date.now() - started < 5000);
  });

  it('an aborted iteration', async () => {
    const src = criRuntimeSource({ endpoint: join(dir, 'missing2.sock'), timeoutMs: 10_000 });
    const r = await src.list(AbortSignal.abort());
    src.close();
    assert.equal(r.state, 'unknown');
  });

  it('only unix sockets', () => {
    assert.equal(criTarget('/run/containerd/containerd.sock'), 'unix:///run/containerd/containerd.sock');
    assert.throws(() => criTarget('tcp://10.0.0.1:1234'), /only unix sockets/);
  });
});

describe('CRI source against containerd', async () => {
  const missing = await containerdAvailable();
  let work: string;
  let ctd: Containerd;
  let admin: CriAdmin;
  const sandboxes: string[] = [];

  before(async () => {
    if (missing) return;
    work = await mkdtemp(join(tmpdir(), 'cri-'));
    ctd = await Containerd.start(join(work, 'containerd'));
    await ctd.importImage(await buildLockexec());
    admin = new CriAdmin(ctd.socket);
  });
  after(async () => {
    if (missing) return;
    for (const id of sandboxes) await admin.removePod(id).catch(() => undefined);
    admin.close();
    await ctd.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('reports the runtime and an empty node', { skip: missing }, async () => {
    const src = criRuntimeSource({ endpoint: `unix://${ctd.socket}` });
    const v = await src.client.version(never);
    assert.equal(v.runtime_name, 'containerd');
    assert.equal(v.runtime_api_version, 'v1');
    const r = await src.list(never);
    src.close();
    assert.deepEqual(r.state === 'ok' && r.pods, []);
  });

  it(
    'names pods by their CRI labels; a container blocked in lockexec runs, a stopped one does not',
    { skip: missing },
    async () => {
      // The hand-off lock, held by util-linux flock as another apiserver would hold it.
      const lockDir = join(work, 'lock');
      await rm(lockDir, { recursive: true, force: true });
      await writeFile(join(work, 'dummy'), '');
      const { mkdir } = await import('node:fs/promises');
      await mkdir(lockDir, { recursive: true });
      const lockFile = join(lockDir, 'api-server.lock');
      await writeFile(lockFile, '', { mode: 0o644 });
      const holder = spawn('flock', ['--exclusive', lockFile, 'sh', '-c', 'echo held; exec cat'], {
        stdio: ['pipe', 'pipe', 'ignore'],
      });
      await new Promise((resolve) => holder.stdout!.once('data', resolve));
      try {
        const apiserver = {
          name: 'kube-apiserver-x1',
          namespace: 'kube-system',
          uid: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
          labels: { 'k8s-app': 'kube-apiserver', 'controller-revision-hash': 'abc' },
          annotations: { [ANNOTATIONS.checkpoint]: 'true', 'kubernetes.io/config.source': 'api' },
        };
        const a = await admin.runPod(
          apiserver,
          'kube-apiserver',
          ['/lockexec', '/var/lock/bootkube/api-server.lock', '/pause'],
          [{ host: lockDir, container: '/var/lock/bootkube' }],
        );
        sandboxes.push(a.sandboxId);
        const plain = {
          name: 'coredns-abc',
          namespace: 'kube-system',
          uid: '11111111-2222-3333-4444-555555555555',
          labels: { 'k8s-app': 'coredns' },
        };
        const b = await admin.runPod(plain, 'coredns', ['/pause']);
        sandboxes.push(b.sandboxId);

        // lockexec is blocked on the lock: seen as a waiter in /proc/locks, not as a holder.
        await waitFor(async () => (await flockState(lockFile)).waiters.length === 1, {
          timeoutMs: 10_000,
          what: 'lockexec to wait on the lock',
        });

        const src = criRuntimeSource({ endpoint: `unix://${ctd.socket}` });
        const r = await src.list(never);
        assert.equal(r.state, 'ok');
        const pods = r.state === 'ok' ? r.pods : [];
        const got = pods.find((p) => p.uid === apiserver.uid)!;
        assert.deepEqual([got.namespace, got.name, got.ready], ['kube-system', 'kube-apiserver-x1', true]);
        assert.equal(got.labels['k8s-app'], 'kube-apiserver');
        assert.equal(got.annotations[ANNOTATIONS.checkpoint], 'true');
        assert.deepEqual(
          got.containers.map((c) => [c.name, c.state]),
          [['kube-apiserver', 'running']],
        );
        assert.equal(runs(got, undefined), true, 'an apiserver blocked in lockexec counts as running');

        await admin.stopContainer(b.containerId);
        const r2 = await src.list(never);
        src.close();
        const stopped = r2.state === 'ok' ? r2.pods.find((p) => p.uid === plain.uid) : undefined;
        assert.ok(stopped, 'its sandbox is still there');
        assert.equal(runs(stopped, undefined), false, 'a pod whose containers stopped does not run');
      } finally {
        holder.stdin!.end();
      }
    },
  );
});
