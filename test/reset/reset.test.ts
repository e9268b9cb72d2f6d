import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { flockState } from '../../src/lock/index.js';
import { apply, BOOTSTRAP_POD_NAMES, plan, type ResetPlan } from '../../src/reset/index.js';
import { waitFor } from '../helpers/wait.js';
import { NOT_OURS, OURS, prepareRoot, renderedBootstrapPods, tree } from './support.js';

let work: string;
let n = 0;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'reset-'));
});
after(() => rm(work, { recursive: true, force: true }));

async function freshRoot(): Promise<string> {
  const root = join(work, `root-${n++}`);
  await prepareRoot(root, work);
  return root;
}

/** `before` without the removed paths and everything under them. */
function minus(before: Map<string, string>, removed: string[]): Map<string, string> {
  return new Map([...before].filter(([p]) => !removed.some((r) => p === r || p.startsWith(`${r}/`))));
}

describe('reset plan', () => {
  it('lists exactly the paths bootkube owns, in removal order, and nothing else', async () => {
    const root = await freshRoot();
    const p = await plan(root);
    assert.deepEqual(
      p.entries.map((e) => e.hostPath),
      OURS,
    );
    for (const e of p.entries) assert.equal(e.path, join(root, e.hostPath));
    const what = Object.fromEntries(p.entries.map((e) => [e.hostPath, e.what]));
    assert.equal(
      what['/etc/kubernetes/manifests/kube-system-kube-apiserver-x7k2p.json'],
      'pod checkpoint of kube-system/kube-apiserver-x7k2p',
    );
    assert.equal(
      what['/etc/kubernetes/manifests/bootstrap-apiserver.yaml'],
      'bootstrap pod kube-system/bootstrap-kube-apiserver',
    );
    assert.equal(p.entries.find((e) => e.hostPath === '/etc/kubernetes/bootstrap-secrets')?.files, 2);
    assert.equal(p.entries.find((e) => e.hostPath === '/var/lock/bootkube')?.onlyIfEmpty, true);
    assert.deepEqual(p.busyLocks, []);
  });

  it('knows every bootstrap pod render writes', async () => {
    const pods = await renderedBootstrapPods(work);
    assert.equal(pods.size, BOOTSTRAP_POD_NAMES.length);
    const root = join(work, 'all-bootstrap');
    await mkdir(join(root, 'etc/kubernetes/manifests'), { recursive: true });
    for (const [name, text] of pods) await writeFile(join(root, 'etc/kubernetes/manifests', name), text);
    const listed = (await plan(root)).entries.map((e) => e.what).sort();
    assert.deepEqual(listed, BOOTSTRAP_POD_NAMES.map((name) => `bootstrap pod kube-system/${name}`).sort());
  });

  it('lists nothing on a root without bootkube, and leaves a lock dir holding other files', async () => {
    const empty = join(work, 'empty-root');
    await mkdir(join(empty, 'var/lib/etcd'), { recursive: true });
    assert.deepEqual((await plan(empty)).entries, []);
    const root = await freshRoot();
    await writeFile(join(root, 'var/lock/bootkube/mine.lock'), '');
    const hostPaths = (await plan(root)).entries.map((e) => e.hostPath);
    assert.ok(hostPaths.includes('/var/lock/bootkube/api-server.lock'), hostPaths.join());
    assert.ok(!hostPaths.includes('/var/lock/bootkube'), "the lock dir holds a file that is not bootkube's");
  });

  it('refuses a root dir that does not exist or is a file', async () => {
    await assert.rejects(
      plan(join(work, 'nope')),
      (e: Error & { code?: string }) =>
        e.code === 'RESET_ROOT_DIR_INVALID' && /--root-dir .*nope: does not exist/.test(e.message),
    );
    await writeFile(join(work, 'a-file'), '');
    await assert.rejects(
      plan(join(work, 'a-file')),
      (e: Error & { code?: string }) =>
        e.code === 'RESET_ROOT_DIR_INVALID' && /is not a directory/.test(e.message),
    );
  });
});

describe('reset apply', () => {
  it("removes exactly what it listed: etcd data, other static pods and the kubelet's files stay, byte for byte", async () => {
    const root = await freshRoot();
    const before = await tree(root);
    const p = await plan(root);
    const r = await apply(p);
    assert.deepEqual(
      r.removed.map((e) => e.hostPath),
      OURS,
    );
    assert.deepEqual(r.kept, []);
    assert.deepEqual(r.gone, []);
    const after = await tree(root);
    assert.deepEqual(after, minus(before, OURS));
    for (const path of NOT_OURS) assert.equal(after.get(path), before.get(path), path);
    assert.deepEqual((await plan(root)).entries, [], 'a second reset finds nothing');
  });

  it('keeps a path that changed after it was listed, and reports one that went', async () => {
    const root = await freshRoot();
    const p = await plan(root);
    await writeFile(
      join(root, 'etc/kubernetes/manifests/kube-system-kube-apiserver-x7k2p.json'),
      '{"kind":"Pod","metadata":{"name":"mine"}}',
    );
    await rm(join(root, 'etc/kubernetes/manifests/bootstrap-scheduler.yaml'));
    const r = await apply(p);
    assert.deepEqual(
      r.kept.map((k) => [k.entry.hostPath, k.why]),
      [['/etc/kubernetes/manifests/kube-system-kube-apiserver-x7k2p.json', 'changed since it was listed']],
    );
    assert.deepEqual(
      r.gone.map((e) => e.hostPath),
      ['/etc/kubernetes/manifests/bootstrap-scheduler.yaml'],
    );
    assert.equal(r.removed.length, OURS.length - 2);
  });

  it('refuses a plan that reaches outside what bootkube owns, removing nothing', async () => {
    const root = await freshRoot();
    const p = await plan(root);
    const before = await tree(root);
    for (const host of [
      '/var/lib/etcd',
      '/etc/kubernetes/manifests/etcd.yaml/../../kubeconfig',
      '/etc/kubernetes',
      '/var/lock/kubelet.lock',
    ]) {
      const forged: ResetPlan = {
        ...p,
        entries: [...p.entries, { ...p.entries[4]!, path: join(root, host), hostPath: host }],
      };
      await assert.rejects(apply(forged), /is not a path bootkube owns; nothing was removed/, host);
    }
    assert.deepEqual(await tree(root), before);
    // A static pod that is not bootkube's passes the path check but is read again, and kept.
    const etcd = p.entries[0]!.hostPath.replace(/[^/]+$/, 'etcd.yaml');
    const st = await stat(join(root, etcd));
    const identity = { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
    const r = await apply({
      ...p,
      entries: [{ ...p.entries[0]!, path: join(root, etcd), hostPath: etcd, identity }],
    });
    assert.deepEqual(
      r.kept.map((k) => [k.entry.hostPath, k.why]),
      [[etcd, 'not a static pod bootkube wrote']],
    );
    assert.deepEqual(await tree(root), before);
  });

  it('refuses while a process holds the API hand-off lock, removing nothing', async () => {
    const root = await freshRoot();
    const lock = join(root, 'var/lock/bootkube/api-server.lock');
    // util-linux flock without forking: the holder is the sleep itself, killed by its pid below.
    const holder = spawn('flock', ['--no-fork', lock, 'sleep', '60'], { stdio: 'ignore' });
    try {
      await waitFor(async () => (await flockState(lock)).holders.length > 0, {
        what: 'flock to hold the lock',
      });
      const before = await tree(root);
      const p = await plan(root);
      assert.deepEqual(p.busyLocks, [
        { hostPath: '/var/lock/bootkube/api-server.lock', holders: [holder.pid], waiters: [] },
      ]);
      await assert.rejects(
        apply(p),
        (e: Error & { code?: string; hint?: string }) =>
          e.code === 'RESET_BUSY' &&
          e.message.includes(
            `/var/lock/bootkube/api-server.lock (pid ${holder.pid}) in use; nothing was removed`,
          ) &&
          /stop the kubelet/.test(e.hint!),
      );
      assert.deepEqual(await tree(root), before);
    } finally {
      holder.kill('SIGKILL');
    }
  });
});
