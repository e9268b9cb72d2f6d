/**
 * What `bootkube reset` removes from a node: exactly the paths bootkube owns there (DESIGN.md §3,
 * §6), under a root prefix, that exist now. Never etcd's data, never a static pod bootkube did not
 * write, never the kubelet's own files. Listing changes nothing.
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { hostPath } from '../bootstrap/host-paths.js';
import { OLD_MARKER } from '../fs/atomic-dir.js';
import { TEMP_MARKER } from '../fs/atomic-file.js';
import { flockState } from '../lock/index.js';
import { HOST_PATHS, LOCK_FILES } from '../render/constants.js';
import { ResetRootDirError } from './errors.js';
import { classifyStaticPodFile } from './static-pods.js';

export interface ResetEntry {
  /** Where it is on this machine: under the root dir. */
  path: string;
  /** Where it is as the node sees it, e.g. `/etc/kubernetes/bootstrap-secrets`. */
  hostPath: string;
  kind: 'dir' | 'file';
  /** Why it is bootkube's, in words. */
  what: string;
  /** For a dir: the files in it, which go with it. */
  files?: number;
  /** A dir removed only if it is empty once the entries before it are gone (the lock dir). */
  onlyIfEmpty?: boolean;
  /** What it was when listed: something put in its place since is not removed. */
  identity: { dev: number; ino: number; size: number; mtimeMs: number };
}

export interface BusyLock {
  hostPath: string;
  holders: number[];
  waiters: number[];
}

export interface ResetPlan {
  /** Absolute. */
  rootDir: string;
  /** In removal order: files before the dir that may hold them. */
  entries: ResetEntry[];
  /** bootkube's lock files that a process holds or waits on now: something of bootkube's still runs. */
  busyLocks: BusyLock[];
}

/** The dirs under /etc/kubernetes that are bootkube's as a whole. */
export const OWNED_DIRS: ReadonlyArray<readonly [string, string]> = [
  [HOST_PATHS.bootstrapSecrets, 'bootstrap secrets of `bootkube start`'],
  [HOST_PATHS.inactiveManifests, 'inactive pod checkpoints'],
  [HOST_PATHS.checkpointSecrets, 'secrets of pod checkpoints'],
  [HOST_PATHS.checkpointConfigMaps, 'config maps of pod checkpoints'],
];

/** Lock files in the lock dir, and what takes them. */
export const OWNED_LOCKS: ReadonlyArray<readonly [string, string]> = [
  [LOCK_FILES.apiServer, 'API hand-off lock'],
  [LOCK_FILES.podCheckpointer, 'pod checkpointer lock'],
];

// writeDirAtomic's hidden names beside a dir it writes: `.NAME.bootkube-tmp-…` and `.NAME.bootkube-old-…`.

/** The paths bootkube owns under `rootDir` that exist now (see the module comment). */
export async function plan(rootDir: string): Promise<ResetPlan> {
  const root = resolve(rootDir);
  const st = await lstat(root).catch(() => undefined);
  if (!st?.isDirectory()) {
    throw new ResetRootDirError(`--root-dir ${rootDir}: ${st ? 'is not a directory' : 'does not exist'}`, {
      hint: 'give / on a node, or the root prefix bootkube start was given',
    });
  }
  const entries: ResetEntry[] = [];
  const add = async (host: string, what: string, extra: Partial<ResetEntry> = {}): Promise<boolean> => {
    const path = hostPath(root, host);
    const s = await lstat(path).catch(() => undefined);
    if (!s) return false;
    const kind = s.isDirectory() ? 'dir' : 'file';
    const files = kind === 'dir' && !extra.onlyIfEmpty ? await countFiles(path) : undefined;
    const identity = { dev: s.dev, ino: s.ino, size: s.size, mtimeMs: s.mtimeMs };
    entries.push({
      path,
      hostPath: host,
      kind,
      what,
      ...(files === undefined ? {} : { files }),
      ...extra,
      identity,
    });
    return true;
  };

  await staticPods(root, add);
  for (const [dir, what] of OWNED_DIRS) {
    await add(dir, what);
    for (const name of await names(hostPath(root, HOST_PATHS.kubernetesDir))) {
      const prefix = `.${basename(dir)}`;
      if (name.startsWith(`${prefix}${TEMP_MARKER}`) || name.startsWith(`${prefix}${OLD_MARKER}`)) {
        await add(`${HOST_PATHS.kubernetesDir}/${name}`, `left by an interrupted write of ${dir}`);
      }
    }
  }
  const lockDir = HOST_PATHS.lockDir;
  for (const [file, what] of OWNED_LOCKS) await add(`${lockDir}/${file}`, what);
  const inLockDir = await names(hostPath(root, lockDir));
  const ours = new Set(OWNED_LOCKS.map(([file]) => file));
  if (inLockDir.every((n) => ours.has(n))) await add(lockDir, "bootkube's lock dir", { onlyIfEmpty: true });

  return { rootDir: root, entries, busyLocks: await busyLocks(root) };
}

/** The static-pod dir's files that bootkube wrote, in name order. */
async function staticPods(
  root: string,
  add: (host: string, what: string) => Promise<boolean>,
): Promise<void> {
  const dir = hostPath(root, HOST_PATHS.staticPods);
  for (const name of (await names(dir)).sort()) {
    const st = await lstat(join(dir, name));
    if (!st.isFile()) continue;
    const text =
      st.size <= 1024 * 1024 ? await readFile(join(dir, name), 'utf8').catch(() => undefined) : undefined;
    const what = classifyStaticPodFile(name, text);
    if (what) await add(`${HOST_PATHS.staticPods}/${name}`, what);
  }
}

/** bootkube's lock files that some process holds or waits on, per /proc/locks (none where it cannot be read). */
export async function busyLocks(root: string): Promise<BusyLock[]> {
  const busy: BusyLock[] = [];
  for (const [file] of OWNED_LOCKS) {
    const host = `${HOST_PATHS.lockDir}/${file}`;
    const state = await flockState(hostPath(root, host)).catch(() => undefined);
    if (state && state.holders.length + state.waiters.length > 0) busy.push({ hostPath: host, ...state });
  }
  return busy;
}

async function names(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

async function countFiles(dir: string): Promise<number> {
  let n = 0;
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    n += entry.isDirectory() ? await countFiles(join(dir, entry.name)) : 1;
  }
  return n;
}
