// Real processes and real locks for the lock tests: spawning and reaping, polling with a deadline,
// util-linux flock as an independent observer, and /proc/locks.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { waitFor, within } from '../helpers/wait.js';

export { waitFor, within };

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A spawned process in its own process group, its output collected as text. */
export class Proc {
  stdout = '';
  stderr = '';
  private readonly child: ChildProcess;
  private readonly reaped: Promise<Exit>;
  private readonly drained: Promise<Exit>;

  constructor(command: string, args: readonly string[]) {
    // detached: a new process group, so cleanup also reaches what the command forked (util-linux
    // flock's child inherits the locked descriptor and would hold the lock after flock is gone).
    this.child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (s: string) => (this.stdout += s));
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => (this.stderr += s));
    const error = new Promise<never>((_, reject) => this.child.once('error', reject));
    const settled = (event: 'exit' | 'close') =>
      Promise.race([
        error,
        new Promise<Exit>((resolve) => this.child.once(event, (code, signal) => resolve({ code, signal }))),
      ]);
    this.reaped = settled('exit');
    this.drained = settled('close');
    this.reaped.catch(() => {});
    this.drained.catch(() => {});
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.child.spawnfile} did not start`);
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** How it ended, once reaped: its descriptors, and so its locks, are gone by then. */
  exited(timeoutMs = 15_000): Promise<Exit> {
    return within(this.reaped, { timeoutMs, what: `${this.describe()} to exit` });
  }

  /** How it ended, once its output pipes have closed too (children that inherited them are gone). */
  closed(timeoutMs = 15_000): Promise<Exit> {
    return within(this.drained, { timeoutMs, what: `${this.describe()} and its children to exit` });
  }

  /** Signals the whole process group; no-op once everything in it is gone. */
  killGroup(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }

  /** Throws if the process has exited, with what it printed: a probe's way to fail fast. */
  assertRunning(): void {
    if (!this.running) {
      const how = this.child.signalCode ?? `status ${this.child.exitCode}`;
      throw new Error(`${this.describe()} exited (${how}): ${this.stderr.trim()}`);
    }
  }

  private describe(): string {
    return `\`${this.child.spawnargs.join(' ')}\``;
  }
}

/** Tracks spawned processes so that a test's cleanup kills them all, pass or fail. */
export class Procs {
  private readonly all = new Set<Proc>();

  start(command: string, args: readonly string[]): Proc {
    const p = new Proc(command, args);
    this.all.add(p);
    return p;
  }

  /** Runs to completion and returns the exit and all output. */
  async run(
    command: string,
    args: readonly string[],
    timeoutMs = 10_000,
  ): Promise<Exit & { stdout: string; stderr: string }> {
    const p = this.start(command, args);
    const exit = await p.closed(timeoutMs);
    return { ...exit, stdout: p.stdout, stderr: p.stderr };
  }

  async killAll(): Promise<void> {
    const all = [...this.all];
    this.all.clear();
    for (const p of all) p.killGroup('SIGKILL');
    await Promise.allSettled(all.map((p) => p.closed()));
  }
}

/**
 * Whether util-linux flock could take the lock right now: `flock -n FILE true` exits 0 when it got
 * the lock and 1 when it is held (anything else is an error).
 */
export function lockIsFree(file: string): boolean {
  const r = spawnSync('flock', ['-n', file, 'true'], { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0 && r.status !== 1) {
    throw new Error(`flock -n ${file} true: status ${r.status}: ${r.stderr}`);
  }
  return r.status === 0;
}

export interface FlockEntry {
  pid: number;
  /** A waiter blocked in flock(), shown with `->` after the lock it waits behind. */
  blocked: boolean;
}

/**
 * The flock(2) locks and waiters on file's inode in /proc/locks, e.g.
 *   `1: FLOCK  ADVISORY  WRITE 3513 fe:00:2146366 0 EOF`     (held)
 *   `1: -> FLOCK  ADVISORY  WRITE 3517 fe:00:2146366 0 EOF`  (blocked; deeper waiters are indented more)
 * Matched on the inode number only: the major:minor there is the superblock's device, which is not
 * always stat's st_dev (btrfs subvolumes report their own).
 */
export async function flocksOn(file: string): Promise<FlockEntry[]> {
  const { ino } = await stat(file, { bigint: true });
  const text = await readFile('/proc/locks', 'utf8');
  const line = /^\d+:\s+(->\s+)?FLOCK\s+\S+\s+\S+\s+(-?\d+)\s+[0-9a-f]+:[0-9a-f]+:(\d+)\s/;
  return text.split('\n').flatMap((l) => {
    const m = line.exec(l);
    return m && BigInt(m[3]!) === ino ? [{ pid: Number(m[2]), blocked: m[1] !== undefined }] : [];
  });
}
