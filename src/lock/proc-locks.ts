/**
 * Who holds and who waits on a flock(2) lock, read from /proc/locks. The hand-off waits for the
 * apiserver's lockexec to be *seen blocked on this lock* (DESIGN.md §3 step 5), not inferred from
 * a container status.
 */
import { readFile, stat } from 'node:fs/promises';

export interface FlockState {
  /** PIDs holding the lock (flock locks belong to open file descriptions; the PID is the one that took it). */
  holders: number[];
  /** PIDs blocked in flock(LOCK_EX) on it. */
  waiters: number[];
}

// `1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF`; waiters carry `->`, indented under what they
// wait for (the kernel prints a tree, so `->` may come after any indent). Devices are matched by
// inode only: the maj:min column is the filesystem's own device number, which can differ from
// stat()'s st_dev (btrfs subvolumes, overlayfs).
const LINE = /^\d+:\s+(->\s+)?FLOCK\s+\S+\s+\S+\s+(-?\d+)\s+[0-9a-f]+:[0-9a-f]+:(\d+)\s/;

/** Parses /proc/locks text for the flock entries on inode `ino`. */
export function parseProcLocks(text: string, ino: bigint): FlockState {
  const state: FlockState = { holders: [], waiters: [] };
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m || BigInt(m[3]!) !== ino) continue;
    (m[1] ? state.waiters : state.holders).push(Number(m[2]));
  }
  return state;
}

const same = (a: FlockState, b: FlockState) =>
  a.holders.join() === b.holders.join() && a.waiters.join() === b.waiters.join();

/**
 * The holders and waiters of the flock lock on `file` right now.
 *
 * The kernel hands /proc/locks out one page (4 KiB) per read(), walking its lock list afresh each
 * time, so on a busy machine the text is stitched from several walks: a hand-off between two of
 * them shows the old holder and the new one both. A reading counts only when the next one agrees.
 */
export async function flockState(file: string): Promise<FlockState> {
  const { ino } = await stat(file, { bigint: true });
  let state = parseProcLocks(await readFile('/proc/locks', 'utf8'), ino);
  for (let attempt = 0; attempt < 20; attempt++) {
    const again = parseProcLocks(await readFile('/proc/locks', 'utf8'), ino);
    if (same(state, again)) return again;
    state = again;
  }
  return state;
}
