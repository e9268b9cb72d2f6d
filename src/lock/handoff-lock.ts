/**
 * The API hand-off lock (DESIGN.md §3): flock(2) on /var/lock/bootkube/api-server.lock, shared with
 * lockexec in every apiserver pod and with util-linux flock.
 *
 * Node has no flock(2), and a native addon would need install scripts that npm blocks by default,
 * so the lock is held by util-linux `flock` in a child process that lives exactly as long as our
 * end of a pipe: `flock -xn FILE sh -c 'echo locked; exec cat'`. release() closes the pipe, cat
 * sees EOF, both exit and the kernel drops the lock. If bootkube itself dies, even by kill -9, the
 * pipe closes the same way, so the lock can never outlive us. The child runs in its own process
 * group: a Ctrl-C at the terminal must not free the lock before the shim has stopped serving.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { chmod, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LockFileError, LockHeldError, LockToolMissingError } from './errors.js';
import { flockState } from './proc-locks.js';

const CONFLICT_EXIT = 75;

export interface HandoffLock {
  readonly path: string;
  /** The process that took the flock (what /proc/locks shows as the holder). */
  readonly holderPid: number;
  /** Settles if the lock is lost without release(): the holder process died. */
  readonly lost: Promise<void>;
  /** Frees the lock; resolves once the kernel has dropped it. Idempotent. */
  release(): Promise<void>;
}

/** Creates the lock dir (0755) and the lock file (0644) if missing; never truncates, replaces or unlinks it. */
export async function ensureLockFile(path: string): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o755 });
    const handle = await open(path, constants.O_RDONLY | constants.O_CREAT | constants.O_EXCL, 0o644).catch((e) => {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
      throw e;
    });
    if (handle) {
      // A non-root apiserver opens it read-only: 0644 whatever the umask.
      await chmod(path, 0o644);
      await handle.close();
    }
  } catch (cause) {
    throw new LockFileError(`lock file ${path}: ${(cause as Error).message}`, {
      hint: 'run as root, or move the lock dir under a writable --root-dir',
      cause,
    });
  }
}

/** Takes the lock if it is free right now (LOCK_EX|LOCK_NB); undefined if someone else holds it. */
export async function tryAcquire(path: string): Promise<HandoffLock | undefined> {
  await ensureLockFile(path);
  const child = spawn('flock', ['--exclusive', '--nonblock', '--conflict-exit-code', String(CONFLICT_EXIT), path, 'sh', '-c', 'echo locked; exec cat'], {
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const outcome = await new Promise<'locked' | { exit: number | null } | Error>((resolve) => {
    child.once('error', resolve);
    child.stdout!.setEncoding('utf8').once('data', () => resolve('locked'));
    void exited.then((code) => resolve({ exit: code }));
  });
  if (outcome instanceof Error) {
    if ((outcome as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new LockToolMissingError('`flock` (util-linux) is not installed', { hint: 'install util-linux', cause: outcome });
    }
    throw outcome;
  }
  if (outcome !== 'locked') {
    if (outcome.exit === CONFLICT_EXIT) return undefined;
    throw new LockFileError(`lock file ${path}: flock failed (${stderr.trim() || `exit ${outcome.exit}`})`);
  }
  return heldLock(path, child, exited);
}

function heldLock(path: string, child: ChildProcess, exited: Promise<number | null>): HandoffLock {
  let releasing = false;
  let lostResolve!: () => void;
  const lost = new Promise<void>((resolve) => (lostResolve = resolve));
  void exited.then(() => {
    if (!releasing) lostResolve();
  });
  return {
    path,
    holderPid: child.pid!,
    lost,
    async release() {
      releasing = true;
      child.stdin!.end();
      await exited;
    },
  };
}

export interface AcquireOptions {
  /** Keep trying this long: a crash-looping apiserver holds the lock only now and then. */
  timeoutMs: number;
  intervalMs?: number;
  signal?: AbortSignal;
}

/** Takes the lock, retrying until `timeoutMs`; then LockHeldError naming the holders. */
export async function acquire(path: string, opts: AcquireOptions): Promise<HandoffLock> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    opts.signal?.throwIfAborted();
    const lock = await tryAcquire(path);
    if (lock) return lock;
    if (Date.now() >= deadline) {
      const { holders } = await flockState(path).catch(() => ({ holders: [] as number[] }));
      throw new LockHeldError(`the API hand-off lock ${path} is held${holders.length ? ` by PID ${holders.join(', ')}` : ''}`, {
        hint: 'an API server already runs on this node: stop it, or let bootkube start resume through it',
      });
    }
    await new Promise((resolve) => setTimeout(resolve, opts.intervalMs ?? 100));
  }
}
