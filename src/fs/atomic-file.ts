/**
 * Crash-safe file writes: a temp file in the same directory, fsync, rename over the target, fsync
 * the directory. After a kill -9 or power loss the target holds either the old or the new content.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Temp files start with `.` and carry this marker, so readers of a directory can skip and clean them. */
export const TEMP_MARKER = '.bootkube-tmp-';

/** fsyncs a directory so that a rename inside it survives power loss. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `data` to a new file with `mode` and fsyncs it; fails if the file exists. */
export async function writeNewFile(path: string, data: string | Uint8Array, mode: number): Promise<void> {
  const handle = await open(path, 'wx', mode);
  try {
    await handle.writeFile(data);
    // open() applies the umask; chmod gives exactly the mode asked for.
    await handle.chmod(mode);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Replaces `path` with `data` atomically (see the module comment). */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode: number): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}${TEMP_MARKER}${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await writeNewFile(temp, data, mode);
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  await fsyncDir(dir);
}
