import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  acquire,
  acquireRunLock,
  flockState,
  LockHeldError,
  RunLockedError,
  tryAcquire,
  type HandoffLock,
} from '../../src/lock/index.js';
import { buildLockexec } from '../helpers/lockexec.js';
import { REPO_ROOT } from '../helpers/run-command.js';
import { Procs, lockIsFree, waitFor } from './support.js';

let dir: string;
let lockexec: string;
const procs = new Procs();
const held: HandoffLock[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'handoff-lock-'));
  await chmod(dir, 0o755);
  lockexec = await buildLockexec();
});
afterEach(async () => {
  await Promise.all(held.splice(0).map((l) => l.release()));
  await procs.killAll();
});
after(() => rm(dir, { recursive: true, force: true }));

const lockPath = (name: string) => join(dir, name, 'api-server.lock');

describe('the hand-off lock', () => {
  it('is held until released, and interoperates with util-linux flock', async () => {
    const path = lockPath('a');
    const lock = await tryAcquire(path);
    assert.ok(lock);
    held.push(lock);
    assert.equal(lockIsFree(path), false, 'util-linux flock -n cannot take it');
    assert.deepEqual((await flockState(path)).holders, [lock.holderPid]);
    await lock.release();
    assert.equal(lockIsFree(path), true);
  });

  it('creates the lock dir and a 0644 lock file, and never removes it', async () => {
    const path = lockPath('b');
    const lock = await tryAcquire(path);
    assert.ok(lock);
    assert.equal((await stat(path)).mode & 0o777, 0o644);
    await lock.release();
    assert.ok((await stat(path)).isFile(), 'still there after release');
  });

  it('is not taken while util-linux flock holds it, and acquire() names the holder after its timeout', async () => {
    const path = lockPath('c');
    await tryAcquire(path).then((l) => l?.release());
    const holder = procs.start('flock', [path, 'sleep', '30']);
    await waitFor(() => !lockIsFree(path), { what: 'flock to hold the lock' });
    assert.equal(await tryAcquire(path), undefined);
    await assert.rejects(acquire(path, { timeoutMs: 300, intervalMs: 50 }), (err: unknown) => {
      assert.ok(err instanceof LockHeldError);
      assert.match(err.message, /is held by PID \d+/);
      return true;
    });
    holder.killGroup('SIGKILL');
    const lock = await acquire(path, { timeoutMs: 5000, intervalMs: 20 });
    held.push(lock);
  });

  it('lets a waiting lockexec in as soon as it is released, and shows it as a waiter meanwhile', async () => {
    const path = lockPath('d');
    const lock = await tryAcquire(path);
    assert.ok(lock);
    const apiserver = procs.start(lockexec, [path, 'sh', '-c', 'echo serving; exec sleep 30']);
    const state = await waitFor(
      async () => {
        const s = await flockState(path);
        return s.waiters.length > 0 ? s : undefined;
      },
      { what: 'lockexec to block on the lock' },
    );
    assert.deepEqual(state?.holders, [lock.holderPid]);
    assert.equal(apiserver.stdout, '', 'the command does not start while the lock is held');
    await lock.release();
    await waitFor(() => apiserver.stdout.includes('serving'), { what: 'the command to start after release' });
    assert.equal(await tryAcquire(path), undefined, 'now lockexec holds it');
  });

  it('is freed when the process holding it is killed with SIGKILL', async () => {
    const path = lockPath('e');
    await tryAcquire(path).then((l) => l?.release());
    const child = procs.start(process.execPath, [
      '--import',
      'tsx',
      join(REPO_ROOT, 'test/helpers/lock-holder-child.ts'),
      path,
    ]);
    await waitFor(() => child.stdout.startsWith('held'), {
      what: 'the child to take the lock',
      timeoutMs: 10_000,
    });
    assert.equal(lockIsFree(path), false);
    child.killGroup('SIGKILL');
    await waitFor(() => lockIsFree(path), { what: 'the lock to be freed after kill -9' });
  });

  it("survives a Ctrl-C to its owner's process group: only the owner decides when to release", async () => {
    const path = lockPath('f');
    await tryAcquire(path).then((l) => l?.release());
    // Procs starts the child as the leader of its own group, as a shell does with a foreground job.
    const owner = procs.start(process.execPath, [
      '--import',
      'tsx',
      join(REPO_ROOT, 'test/helpers/lock-holder-child.ts'),
      path,
    ]);
    await waitFor(() => owner.stdout.startsWith('held'), {
      what: 'the owner to take the lock',
      timeoutMs: 10_000,
    });
    owner.killGroup('SIGINT');
    await waitFor(() => owner.stdout.includes('sigint'), { what: 'the owner to see the SIGINT' });
    assert.equal(lockIsFree(path), false, 'the flock helper did not get the SIGINT');
    owner.killGroup('SIGKILL');
    await waitFor(() => lockIsFree(path), { what: 'release once the owner is gone' });
  });
});

describe('reading /proc/locks', () => {
  it('never shows two holders of one lock while it is handed around on a machine holding many locks', async () => {
    // /proc/locks is read one 4 KiB page per read(), each page from a fresh walk of the kernel's
    // lock list: with more than a page of locks, a hand-off between two pages used to show the old
    // holder and the new one together (seen in CI as "2 processes held the hand-off lock at once").
    const many = join(dir, 'many');
    const file = lockPath('busy');
    await tryAcquire(file).then((l) => l?.release());
    const ready = join(dir, 'many.ready');
    procs.start('bash', [
      '-c',
      `mkdir -p ${many}; for i in $(seq 1 200); do exec {fd}>${many}/$i; flock -x $fd; done; touch ${ready}; exec sleep 600`,
    ]);
    await waitFor(async () => (await stat(ready).catch(() => undefined)) !== undefined, {
      timeoutMs: 10_000,
    });
    for (let i = 0; i < 3; i++) {
      procs.start('sh', ['-c', `while :; do flock -x ${file} sleep 0.002; done`]);
    }
    let most = 0;
    let seen = 0;
    const until = Date.now() + 4000;
    while (Date.now() < until) {
      const { holders } = await flockState(file);
      most = Math.max(most, holders.length);
      if (holders.length) seen++;
    }
    assert.ok(seen > 0, 'the lock was never seen held');
    assert.equal(most, 1, `${most} holders at once`);
  });
});

describe('the single-run lock', () => {
  it('refuses a second run on the same dir until the first releases', async () => {
    const assets = join(dir, 'assets');
    await import('node:fs/promises').then((fs) => fs.mkdir(assets));
    const release = await acquireRunLock(assets, { what: 'bootkube start' });
    await assert.rejects(acquireRunLock(assets, { what: 'bootkube start' }), (err: unknown) => {
      assert.ok(err instanceof RunLockedError);
      assert.match(
        err.userMessage(),
        /^another bootkube start is running on .*assets: wait for it to finish/,
      );
      return true;
    });
    await release();
    const again = await acquireRunLock(assets, { what: 'bootkube start' });
    await again();
  });
});
