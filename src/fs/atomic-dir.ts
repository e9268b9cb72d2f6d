/**
 * Writing a whole directory atomically: everything is written and fsynced into a hidden staging dir
 * beside the target, then renamed into place. A kill -9 at any moment leaves the old target (or
 * none) or the complete new one; leftovers of an interrupted run are cleaned (or, for a replaced
 * target caught between its two renames, put back) by the next run.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { OutputDirError, WriteError } from './errors.js';
import { TEMP_MARKER, fsyncDir, writeNewFile } from './atomic-file.js';

export interface DirFile {
  /** Relative to the directory; `/`-separated; no `..`. */
  path: string;
  content: string | Uint8Array;
  mode: number;
}

export type WriteStage = 'staged' | 'moved-old' | 'swapped';

export interface WriteDirOptions {
  /** Replace an existing non-empty directory. */
  force: boolean;
  /** How the user named the directory, for errors (e.g. `--asset-dir`). */
  label: string;
  /** Mode of the directory and of every directory in it. */
  dirMode?: number;
  /** Called after each step; tests use it to crash at a precise point. */
  onStage?: (stage: WriteStage) => void;
}

/** The name a replaced dir has while it is moved aside: `.<name>.bootkube-old-<pid>-<hex>`. */
export const OLD_MARKER = '.bootkube-old-';

/** Writes `files` as the complete content of `target`, atomically (see the module comment). */
export async function writeDirAtomic(target: string, files: DirFile[], opts: WriteDirOptions): Promise<void> {
  const dir = resolve(target);
  const parent = dirname(dir);
  const dirMode = opts.dirMode ?? 0o700;
  await mkdir(parent, { recursive: true }).catch((cause) => {
    throw new OutputDirError(`${opts.label} ${target}: cannot create ${parent} (${(cause as Error).message})`, { cause });
  });
  await recoverInterrupted(dir);
  const existing = await inspectTarget(dir, target, opts);

  const stage = join(parent, `.${basename(dir)}${TEMP_MARKER}${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(stage, { mode: dirMode });
    const dirs = new Set<string>([stage]);
    for (const file of files) {
      if (file.path.split('/').includes('..') || file.path.startsWith('/')) throw new Error(`bad path ${file.path}`);
      const fileDir = dirname(join(stage, file.path));
      if (!dirs.has(fileDir)) {
        await mkdir(fileDir, { recursive: true, mode: dirMode });
        for (let d = fileDir; d !== stage && !dirs.has(d); d = dirname(d)) dirs.add(d);
      }
    }
    // Each file's write and fsync are independent: run them concurrently on the thread pool, and
    // let every one settle before a failure's cleanup removes the staging dir under them.
    const writes = await Promise.allSettled(files.map((f) => writeNewFile(join(stage, f.path), f.content, f.mode)));
    const failed = writes.find((w): w is PromiseRejectedResult => w.status === 'rejected');
    if (failed) throw failed.reason;
    await Promise.all([...dirs].map((d) => fsyncDir(d)));
  } catch (cause) {
    await rm(stage, { recursive: true, force: true });
    throw new WriteError(`${opts.label} ${target}: writing failed, nothing was changed (${(cause as Error).message})`, {
      hint: 'check free space and permissions, then run again',
      cause,
    });
  }
  opts.onStage?.('staged');

  let old: string | undefined;
  if (existing === 'empty') await rmdir(dir);
  if (existing === 'full') {
    old = join(parent, `.${basename(dir)}${OLD_MARKER}${process.pid}-${randomBytes(4).toString('hex')}`);
    await rename(dir, old);
    opts.onStage?.('moved-old');
  }
  await rename(stage, dir);
  await fsyncDir(parent);
  opts.onStage?.('swapped');
  if (old) await rm(old, { recursive: true, force: true });
}

async function inspectTarget(dir: string, target: string, opts: WriteDirOptions): Promise<'none' | 'empty' | 'full'> {
  const st = await lstat(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw new OutputDirError(`${opts.label} ${target}: cannot be read (${e.message})`, { cause: e });
  });
  if (!st) return 'none';
  if (!st.isDirectory()) {
    throw new OutputDirError(`${opts.label} ${target}: exists and is not a directory`, {
      hint: 'choose another path or remove it',
    });
  }
  if ((await readdir(dir)).length === 0) return 'empty';
  if (!opts.force) {
    throw new OutputDirError(`${opts.label} ${target}: exists and is not empty`, {
      hint: 'choose another directory, or pass --force to replace it',
    });
  }
  return 'full';
}

/**
 * Cleans up after an earlier run killed mid-way: stale staging dirs go; a target caught between the
 * two renames comes back (the old dir is complete, the new one never got in place). Returns the
 * hidden name it restored, if any. writeDirAtomic calls it first; readers of a dir that may be
 * rewritten this way (certs) call it too.
 */
export async function recoverInterrupted(dir: string): Promise<string | undefined> {
  const parent = dirname(resolve(dir));
  const prefix = `.${basename(resolve(dir))}`;
  const names = await readdir(parent).catch(() => [] as string[]);
  const leftovers = names.filter((n) => n.startsWith(`${prefix}${TEMP_MARKER}`) || n.startsWith(`${prefix}${OLD_MARKER}`));
  let restored: string | undefined;
  for (const name of leftovers) {
    const pid = Number(/-(\d+)-[0-9a-f]+$/.exec(name)?.[1]);
    if (pid && isAlive(pid)) continue;
    const path = join(parent, name);
    const targetMissing = await lstat(dir).then(() => false, () => true);
    if (name.startsWith(`${prefix}${OLD_MARKER}`) && targetMissing) {
      await rename(path, dir);
      restored = name;
    } else await rm(path, { recursive: true, force: true });
  }
  return restored;
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
