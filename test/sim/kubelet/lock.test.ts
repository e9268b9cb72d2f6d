// --lock-file / --exit-on-lock-contention (reference §6), with two simulated kubelets on one lock
// file and util-linux flock and /proc/locks as observers: the first holds the flock; the second
// blocks on it, its open makes the first exit (status 0, containers left running), and it takes
// the lock and adopts the running containers. Any open of the file, even flock's from a shell,
// makes the holder exit.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { flockState } from '../../../src/lock/index.js';
import { RealClock } from '../../../src/sim/kubelet/clock.js';
import { Kubelet } from '../../../src/sim/kubelet/kubelet.js';
import { SimLockFlagError } from '../../../src/sim/kubelet/errors.js';
import { SimNode } from '../../../src/sim/node.js';
import { eventually, NODE, renderOnce, startShim, type Rendered, type Shim } from './support.js';

let r: Rendered;
let shim: Shim;
let node: SimNode;
let lockFile: string;

before(async () => {
  r = await renderOnce();
  shim = await startShim(r);
  const root = await mkdtemp(join(r.work, 'root-'));
  lockFile = join(root, 'var/run/lock/kubelet.lock');
  await mkdir(join(root, 'etc/kubernetes/manifests'), { recursive: true });
  await writeFile(join(root, 'etc/kubernetes/manifests/web.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n');
  node = new SimNode({ name: NODE, rootDir: root, credentials: shim.kubelet, clock: new RealClock(20), nodeIP: '10.0.0.10', lockFile, exitOnLockContention: true });
});

after(async () => {
  await node?.stop();
  await shim?.destroy();
});

const busy = () => spawnSync('flock', ['--nonblock', lockFile, 'true']).status !== 0;

describe('the kubelet lock file', () => {
  it('hands over between two kubelets as real ones do', async () => {
    const first = await node.start();
    await eventually(() => node.runtime.runningCount() === 1, 10_000, 'the static pod running');
    const holder = (await flockState(lockFile)).holders;
    assert.equal(holder.length, 1, 'the first kubelet holds the flock');

    // The second kubelet on the same node and file: it blocks in flock, its open wakes the first.
    const secondStarted = node.start();
    const exit = await first.exited;
    assert.deepEqual(exit.code, 0);
    assert.match(exit.reason, /lock contention/);
    const second = await secondStarted;
    const now = await flockState(lockFile);
    assert.equal(now.holders.length, 1);
    assert.notDeepEqual(now.holders, holder, 'the lock changed hands');
    // The container kept running across the hand-off and the new kubelet adopted it.
    assert.equal(node.runtime.runningCount(), 1);
    await eventually(() => second.counts().running === 1, 10_000, 'the new kubelet to report the pod Running');
    const restarts = node.runtime.containersOf(second.podsForServer()[0]!.metadata.uid).length;
    assert.equal(restarts, 1, 'no container was restarted');

    // util-linux flock as a third party: the lock is busy, and its very open ends the holder.
    assert.ok(busy(), 'flock --nonblock finds the lock taken');
    assert.match((await second.exited).reason, /lock contention/);
    await eventually(() => !busy(), 5000, 'the lock to be free once the kubelet exited');
  });

  it('refuses --exit-on-lock-contention without --lock-file, as the kubelet does', async () => {
    const k = new Kubelet({ nodeName: 'x', credentials: shim.kubelet, runtime: node.runtime, clock: new RealClock(1), nodeIP: '10.0.0.11', exitOnLockContention: true });
    await assert.rejects(k.start(), (e) => e instanceof SimLockFlagError && /no lock file specified/.test(e.message));
  });
});
