/**
 * The kubelet's `--lock-file` / `--exit-on-lock-contention` (reference §6): a blocking exclusive
 * flock(2) on the file, held for the kubelet's life, taken before anything else; then, with
 * exit-on-contention, an inotify watch for IN_OPEN|IN_DELETE_SELF whose first event of any kind
 * means "another kubelet wants the lock": the kubelet exits (status 0) and its containers keep
 * running. So a second kubelet opening the file to flock it makes the first one leave, and takes
 * the lock once the first one's descriptor is gone.
 *
 * Node has neither flock(2) nor inotify's IN_OPEN (fs.watch does not ask for it), so both are held
 * by small children that live exactly as long as a pipe from us: util-linux `flock FILE sh -c
 * 'echo locked; exec cat'` (as src/lock does, but blocking), and a Perl one-screen inotify watcher
 * (perl is on every Debian; it calls inotify_init1/inotify_add_watch through syscall()). If Perl
 * cannot watch, contention is seen by polling /proc/locks for a blocked waiter, which a second
 * kubelet is, though a plain `cat` of the file then goes unnoticed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { flockState } from '../../lock/index.js';
import { SimStartError } from './errors.js';

const INOTIFY_WATCHER = String.raw`
use strict; use warnings; use IO::Select; use POSIX ();
$| = 1;
my $path = shift;
my %nr = (x86_64 => [294, 254], aarch64 => [26, 27]);
my $n = $nr{(POSIX::uname())[4]} or die "unsupported machine\n";
my $fd = syscall($n->[0], 0);
die "inotify_init1: $!\n" if $fd < 0;
die "inotify_add_watch: $!\n" if syscall($n->[1], $fd, $path, 0x20 | 0x400) < 0;
open(my $ino, '<&=', $fd) or die "fdopen: $!\n";
print "watching\n";
my $sel = IO::Select->new($ino, \*STDIN);
while (my @ready = $sel->can_read) {
  for my $fh (@ready) {
    my $buf;
    if ($fh == $ino) { sysread($ino, $buf, 4096); print "event\n"; exit 0; }
    exit 0 if !sysread(STDIN, $buf, 1);
  }
}`;

export interface KubeletLock {
  readonly path: string;
  /** The flock child: what /proc/locks shows as the holder. */
  readonly holderPid: number;
  /** Starts contention detection; `fn` runs once, on the first open or deletion of the file by anyone. */
  watchContention(fn: (how: string) => void): Promise<void>;
  release(): Promise<void>;
}

function lineFrom(child: ChildProcess): Promise<string | undefined> {
  return new Promise((resolve) => {
    let buf = '';
    const onData = (s: string) => {
      buf += s;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        child.stdout!.off('data', onData);
        resolve(buf.slice(0, nl));
      }
    };
    child.stdout!.setEncoding('utf8').on('data', onData);
    child.once('exit', () => resolve(undefined));
    child.once('error', () => resolve(undefined));
  });
}

/** flock.Acquire: blocks until the lock is ours (or the signal aborts). */
export async function acquireKubeletLock(path: string, signal: AbortSignal): Promise<KubeletLock> {
  await mkdir(dirname(path), { recursive: true });
  const child = spawn('flock', ['--exclusive', path, 'sh', '-c', 'echo locked; exec cat'], {
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin!.on('error', () => undefined);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const onAbort = () => child.kill('SIGKILL');
  signal.addEventListener('abort', onAbort, { once: true });
  const line = await lineFrom(child);
  signal.removeEventListener('abort', onAbort);
  if (line !== 'locked') {
    child.kill('SIGKILL');
    if (signal.aborted) throw signal.reason;
    throw new SimStartError(`lock file ${path}: flock did not take the lock`, {
      hint: 'is util-linux flock installed?',
    });
  }
  const stoppers: Array<() => void> = [];
  return {
    path,
    holderPid: child.pid!,
    async watchContention(fn) {
      let fired = false;
      const fire = (how: string) => {
        if (fired) return;
        fired = true;
        fn(how);
      };
      const watcher = spawn('perl', ['-e', INOTIFY_WATCHER, path], { stdio: ['pipe', 'pipe', 'ignore'] });
      watcher.stdin!.on('error', () => undefined);
      stoppers.push(() => watcher.stdin!.end());
      const first = await lineFrom(watcher);
      if (first === 'watching') {
        void lineFrom(watcher).then((l) => l === 'event' && fire('inotify event on the lock file'));
        return;
      }
      stoppers.push(pollContention(path, fire));
    },
    async release() {
      for (const s of stoppers) s();
      child.stdin!.end();
      await exited;
    },
  };
}

// The fallback: a waiter blocked on the lock, or the file deleted or replaced.
function pollContention(path: string, fire: (how: string) => void): () => void {
  let ino: bigint | undefined;
  const timer = setInterval(async () => {
    try {
      const st = await stat(path, { bigint: true });
      if (ino !== undefined && st.ino !== ino) return fire('lock file replaced');
      ino = st.ino;
      if ((await flockState(path)).waiters.length) fire('a process waits for the lock');
    } catch {
      fire('lock file deleted');
    }
  }, 100);
  return () => clearInterval(timer);
}
