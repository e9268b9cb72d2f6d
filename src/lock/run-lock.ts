/**
 * The single-run lock: one `bootkube start` (or recover) per asset dir at a time, with
 * proper-lockfile (an atomic mkdir, refreshed while we run, stale once its owner stops refreshing
 * it, so a kill -9 never wedges the next run for longer than `staleMs`).
 */
import lockfile from 'proper-lockfile';
import { RunLockedError } from './errors.js';

export interface RunLockOptions {
  /** What is running, for the error message, e.g. `bootkube start`. */
  what: string;
  /** A lock not refreshed for this long belongs to a dead run (min 2000). */
  staleMs?: number;
}

/** Locks `dir` for this run; resolves to the release function. RunLockedError if another run holds it. */
export async function acquireRunLock(dir: string, opts: RunLockOptions): Promise<() => Promise<void>> {
  const staleMs = Math.max(2000, opts.staleMs ?? 10_000);
  try {
    return await lockfile.lock(dir, {
      stale: staleMs,
      update: Math.floor(staleMs / 2),
      realpath: false,
      retries: 0,
      // Losing the lock mid-run (the dir vanished, a clock jump) must not crash with a stack trace.
      onCompromised: (err) => process.emitWarning(`${opts.what}: the run lock on ${dir} was lost (${err.message})`),
    });
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ELOCKED') {
      throw new RunLockedError(`another ${opts.what} is running on ${dir}`, {
        hint: `wait for it to finish; if it was killed, its lock goes stale within ${Math.round(staleMs / 1000)} s`,
        cause,
      });
    }
    throw cause;
  }
}
