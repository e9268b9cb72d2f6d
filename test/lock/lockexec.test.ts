// lockexec (assets/lockexec.c) against real processes and util-linux flock: the helper every
// apiserver takes the API hand-off lock with (DESIGN.md §3).
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, readdir, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { buildLockexec } from '../helpers/lockexec.js';
import { Procs, flocksOn, lockIsFree, waitFor, type Proc } from './support.js';

const procs = new Procs();
let lockexec: string;
let dir: string | undefined;
let files = 0;

/** A fresh lock file path (not created) in the test's temp dir. */
function lockPath(): string {
  return join(dir!, `api-server-${++files}.lock`);
}

const comm = async (p: Proc) => (await readFile(`/proc/${p.pid}/comm`, 'utf8')).trim();

/** Waits until p has exec'd `command`, which lockexec does only once it holds the lock. */
function waitForExec(p: Proc, command: string): Promise<boolean> {
  return waitFor(
    async () => {
      p.assertRunning();
      return (await comm(p)) === command;
    },
    { what: `PID ${p.pid} to become ${command}` },
  );
}

before(async () => {
  lockexec = await buildLockexec();
  dir = await mkdtemp(join(tmpdir(), 'bootkube-lockexec-'));
  await chmod(dir, 0o755); // user nobody must reach the lock files inside
});
afterEach(() => procs.killAll());
after(async () => {
  await procs.killAll();
  if (dir) await rm(dir, { recursive: true, force: true });
});

// A safety net only: every wait in these tests has its own, shorter deadline.
const limit = { timeout: 30_000 };

describe('lockexec', () => {
  test('holds the lock while the command runs and releases it when the command exits', limit, async () => {
    const f = lockPath();
    const p = procs.start(lockexec, [f, 'sleep', '30']);
    await waitFor(
      () => {
        p.assertRunning();
        return !lockIsFree(f);
      },
      { what: 'the lock to be held' },
    );

    process.kill(p.pid, 'SIGKILL');
    assert.deepEqual(await p.exited(), { code: null, signal: 'SIGKILL' });
    // No polling: a reaped process has closed its descriptors, and the lock went with the last one.
    assert.equal(lockIsFree(f), true, 'released when the command exits');
  });

  test('execs the command, which keeps its PID and gets SIGTERM itself', limit, async () => {
    const f = lockPath();
    const p = procs.start(lockexec, [f, 'sleep', '30']);
    await waitForExec(p, 'sleep');
    assert.equal(await readFile(`/proc/${p.pid}/cmdline`, 'utf8'), 'sleep\0' + '30\0');
    assert.equal(lockIsFree(f), false);
    assert.deepEqual(await flocksOn(f), [{ pid: p.pid, blocked: false }]);
    // The command itself holds the locked descriptor, not a parent waiting for it.
    const fds = await readdir(`/proc/${p.pid}/fd`);
    const targets = await Promise.all(fds.map((fd) => readlink(`/proc/${p.pid}/fd/${fd}`).catch(() => '')));
    assert.ok(targets.includes(f), `the command has ${f} open: ${targets.join(', ')}`);

    process.kill(p.pid, 'SIGTERM');
    assert.deepEqual(await p.exited(), { code: null, signal: 'SIGTERM' });
    assert.equal(lockIsFree(f), true);
  });

  test('a command that traps SIGTERM gets it and shuts down its own way', limit, async () => {
    const f = lockPath();
    // The shell runs the trap while in `wait` (not while a foreground child runs). The background
    // sleep inherits the lock too, so the trap ends it.
    const script = 'trap "echo got-term; kill \\$!; exit 0" TERM; sleep 30 & echo ready; wait';
    const p = procs.start(lockexec, [f, 'sh', '-c', script]);
    await waitFor(
      () => {
        p.assertRunning();
        return p.stdout.includes('ready');
      },
      { what: 'the command to be ready' },
    );

    process.kill(p.pid, 'SIGTERM');
    assert.deepEqual(await p.closed(20_000), { code: 0, signal: null });
    assert.equal(p.stdout, 'ready\ngot-term\n');
    await waitFor(() => lockIsFree(f), { what: 'the lock to be released' });
  });

  test('waits as a blocked flock waiter (in /proc/locks) until the holder is gone', limit, async () => {
    const f = lockPath();
    const holder = procs.start('flock', [f, 'sleep', '30']);
    await waitFor(
      () => {
        holder.assertRunning();
        return !lockIsFree(f);
      },
      { what: 'util-linux flock to hold the lock' },
    );

    const waiter = procs.start(lockexec, [f, 'sh', '-c', 'echo started']);
    await waitFor(
      async () => {
        waiter.assertRunning();
        return (await flocksOn(f)).some((e) => e.blocked && e.pid === waiter.pid);
      },
      { what: `lockexec (PID ${waiter.pid}) as a blocked waiter in /proc/locks` },
    );
    assert.equal(await comm(waiter), 'lockexec', 'the command has not been exec’d');
    assert.equal(waiter.stdout, '');

    holder.killGroup('SIGTERM'); // flock and its sleep, which shares the locked descriptor
    await holder.exited();
    assert.deepEqual(
      await waiter.closed(),
      { code: 0, signal: null },
      'ran its command once the holder died',
    );
    assert.equal(waiter.stdout, 'started\n');
  });

  test('excludes other lockexecs and util-linux flock: one holder at a time', limit, async () => {
    const f = lockPath();
    const log = join(dir!, `critical-${files}.log`);
    const body = 'echo "enter $0" >> "$1"; sleep 0.05; echo "exit $0" >> "$1"';
    const contenders: Array<[string, string, string[]]> = [
      ['lockexec-a', lockexec, [f]],
      ['lockexec-b', lockexec, [f]],
      ['flock', 'flock', [f]],
    ];
    const rounds = 3;
    await Promise.all(
      contenders.map(async ([name, command, args]) => {
        for (let i = 0; i < rounds; i++) {
          const r = await procs.run(command, [...args, 'sh', '-c', body, name, log]);
          assert.deepEqual({ code: r.code, stderr: r.stderr }, { code: 0, stderr: '' }, name);
        }
      }),
    );

    const text = await readFile(log, 'utf8');
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, 2 * rounds * contenders.length, text);
    for (let i = 0; i < lines.length; i += 2) {
      const name = lines[i]!.replace(/^enter /, '');
      assert.deepEqual(
        lines.slice(i, i + 2),
        [`enter ${name}`, `exit ${name}`],
        `lines ${i + 1}-${i + 2}:\n${text}`,
      );
    }
    for (const [name] of contenders) {
      assert.equal(
        lines.filter((l) => l === `enter ${name}`).length,
        rounds,
        `${name} entered ${rounds} times`,
      );
    }
  });

  const notRoot = process.getuid?.() !== 0 && 'not running as root: cannot switch to user nobody';
  test('takes the lock as user nobody on a root-owned 0644 file', { ...limit, skip: notRoot }, async () => {
    const f = lockPath();
    await writeFile(f, '');
    await chmod(f, 0o644);
    const p = procs.start('setpriv', [
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      lockexec,
      f,
      'sleep',
      '30',
    ]);
    await waitForExec(p, 'sleep');
    assert.match(await readFile(`/proc/${p.pid}/status`, 'utf8'), /^Uid:\s+65534\s/m);
    assert.equal(lockIsFree(f), false);

    process.kill(p.pid, 'SIGTERM');
    await p.exited();
    assert.equal(lockIsFree(f), true);
    const st = await stat(f);
    assert.deepEqual([st.uid, st.mode & 0o777], [0, 0o644], 'the file is untouched');
  });

  test('creates a missing lock file 0644 whatever the umask, and never removes it', limit, async () => {
    for (const umask of ['022', '077']) {
      const f = lockPath();
      const r = await procs.run('sh', ['-c', `umask ${umask}; exec "$0" "$@"`, lockexec, f, 'true']);
      assert.equal(r.code, 0, r.stderr);
      const st = await stat(f); // throws if it was removed
      assert.ok(st.isFile());
      assert.equal((st.mode & 0o777).toString(8), '644', `created under umask ${umask}`);
    }
  });

  test('leaves an existing lock file as it is: same inode, same mode', limit, async () => {
    const f = lockPath();
    await writeFile(f, '');
    await chmod(f, 0o600);
    const before = await stat(f);
    const r = await procs.run(lockexec, [f, 'true']);
    assert.equal(r.code, 0, r.stderr);
    const afterwards = await stat(f);
    assert.deepEqual([afterwards.ino, afterwards.mode & 0o777], [before.ino, 0o600]);
  });

  describe('bad usage', () => {
    const oneLine = (s: string) => assert.equal(s.split('\n').length, 2, `one line: ${JSON.stringify(s)}`);

    test('without arguments: status 2 and a usage line', async () => {
      const r = await procs.run(lockexec, []);
      assert.equal(r.code, 2);
      assert.equal(r.stderr, 'usage: lockexec LOCKFILE COMMAND [ARG...]\n');
    });

    test('without a command: status 2, and no lock file is created', async () => {
      const f = lockPath();
      const r = await procs.run(lockexec, [f]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^usage: lockexec /);
      await assert.rejects(stat(f), { code: 'ENOENT' });
    });

    test('a command that does not exist: status 127, one line naming it', async () => {
      // PATH pinned to a searchable dir: when some PATH dir is not searchable (e.g. /root/... for
      // user nobody) and the name is found nowhere, execvp fails with EACCES, which is 126.
      const r = await procs.run('env', [
        `PATH=${dir}`,
        lockexec,
        lockPath(),
        'bootkube-no-such-command',
        'x',
      ]);
      assert.equal(r.code, 127, r.stderr);
      assert.ok(r.stderr.startsWith('lockexec: bootkube-no-such-command: '), r.stderr);
      oneLine(r.stderr);

      const missing = join(dir!, 'no-such-command');
      const byPath = await procs.run(lockexec, [lockPath(), missing]);
      assert.equal(byPath.code, 127, byPath.stderr);
      assert.ok(byPath.stderr.startsWith(`lockexec: ${missing}: `), byPath.stderr);
      oneLine(byPath.stderr);
    });

    test('a command that cannot be executed: status 126, one line naming it', async () => {
      const script = join(dir!, `not-executable-${++files}`);
      await writeFile(script, '#!/bin/sh\n', { mode: 0o644 });
      const r = await procs.run(lockexec, [lockPath(), script]);
      assert.equal(r.code, 126);
      assert.ok(r.stderr.startsWith(`lockexec: ${script}: `), r.stderr);
      oneLine(r.stderr);
    });

    test('a lock file in a missing directory: status 125, one line naming it, command not run', async () => {
      const f = join(dir!, 'no-such-dir', 'api-server.lock');
      const r = await procs.run(lockexec, [f, 'sh', '-c', 'echo ran']);
      assert.equal(r.code, 125);
      assert.equal(r.stdout, '');
      assert.ok(r.stderr.startsWith(`lockexec: ${f}: `), r.stderr);
      oneLine(r.stderr);
    });

    test('the lock directory instead of the lock file: status 125, command not run', async () => {
      const r = await procs.run(lockexec, [dir!, 'sh', '-c', 'echo ran']);
      assert.equal(r.code, 125);
      assert.equal(r.stdout, '');
      assert.ok(r.stderr.startsWith(`lockexec: ${dir}: `), r.stderr);
      oneLine(r.stderr);
    });
  });
});
