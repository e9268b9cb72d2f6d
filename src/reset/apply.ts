/**
 * Carrying out a reset plan: removes exactly the listed paths, each only if it is still what was
 * listed, and refuses while bootkube or an apiserver still runs on the node (it holds a lock).
 */
import { lstat, readFile, rm, rmdir, unlink } from 'node:fs/promises';
import { basename, relative, sep } from 'node:path';
import { hostPath } from '../bootstrap/host-paths.js';
import { HOST_PATHS } from '../render/constants.js';
import { ResetBusyError } from './errors.js';
import { classifyStaticPodFile } from './static-pods.js';
import {
  busyLocks,
  OWNED_DIRS,
  OWNED_LOCKS,
  type BusyLock,
  type ResetEntry,
  type ResetPlan,
} from './plan.js';

export interface ResetResult {
  rootDir: string;
  removed: ResetEntry[];
  /** Listed, but gone by the time of removal. */
  gone: ResetEntry[];
  /** Listed and not removed: replaced since it was listed, not empty, or the removal failed. */
  kept: Array<{ entry: ResetEntry; why: string }>;
}

/** Removes the entries of `p` (see the module comment). */
export async function apply(p: ResetPlan): Promise<ResetResult> {
  for (const entry of p.entries) assertOwned(p.rootDir, entry);
  refuseIfBusy(await busyLocks(p.rootDir));
  const result: ResetResult = { rootDir: p.rootDir, removed: [], gone: [], kept: [] };
  for (const entry of p.entries) {
    const st = await lstat(entry.path).catch(() => undefined);
    if (!st) {
      result.gone.push(entry);
      continue;
    }
    const same =
      st.dev === entry.identity.dev &&
      st.ino === entry.identity.ino &&
      (st.isDirectory()
        ? entry.kind === 'dir'
        : entry.kind === 'file' && st.size === entry.identity.size && st.mtimeMs === entry.identity.mtimeMs);
    if (!same) {
      result.kept.push({ entry, why: 'changed since it was listed' });
      continue;
    }
    if (!(await stillBootkubes(entry))) {
      result.kept.push({ entry, why: 'not a static pod bootkube wrote' });
      continue;
    }
    try {
      if (entry.kind === 'file') await unlink(entry.path);
      else if (entry.onlyIfEmpty) await rmdir(entry.path);
      else await rm(entry.path, { recursive: true });
      result.removed.push(entry);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const why =
        err.code === 'ENOTEMPTY' || err.code === 'EEXIST'
          ? 'not empty'
          : err.code === 'EACCES' || err.code === 'EPERM'
            ? 'permission denied (run as root)'
            : err.message;
      result.kept.push({ entry, why });
    }
  }
  return result;
}

/** Throws RESET_BUSY when any of bootkube's locks is held or waited on: something of bootkube's still runs. */
export function refuseIfBusy(busy: BusyLock[]): void {
  if (busy.length === 0) return;
  const held = busy.map((b) => `${b.hostPath} (pid ${[...b.holders, ...b.waiters].join(', ')})`).join(', ');
  throw new ResetBusyError(
    `bootkube or an apiserver still runs on this node: ${held} in use; nothing was removed`,
    {
      hint: 'stop the kubelet and its control-plane pods (and any bootkube), then run reset again',
    },
  );
}

/** A static-pod file is removed only if it still is one bootkube wrote (a plan may be old or hand-made). */
async function stillBootkubes(entry: ResetEntry): Promise<boolean> {
  if (!entry.hostPath.startsWith(`${HOST_PATHS.staticPods}/`)) return true;
  const text = await readFile(entry.path, 'utf8').catch(() => undefined);
  return classifyStaticPodFile(basename(entry.path), text) !== undefined;
}

/**
 * A plan is data and could be built by hand: refuse (as a bug) any entry that is not one of the
 * paths plan() may list, so no plan can reach etcd's data or anything else outside bootkube's.
 */
function assertOwned(rootDir: string, entry: ResetEntry): void {
  const host = `/${relative(rootDir, entry.path).split(sep).join('/')}`;
  const under = (dir: string) => host.startsWith(`${dir}/`) && !host.slice(dir.length + 1).includes('/');
  const ok =
    host === entry.hostPath &&
    !host.includes('/../') &&
    (OWNED_DIRS.some(
      ([dir]) =>
        host === dir ||
        (under(HOST_PATHS.kubernetesDir) &&
          host.startsWith(`${HOST_PATHS.kubernetesDir}/.${dir.split('/').pop()}.bootkube-`)),
    ) ||
      (under(HOST_PATHS.staticPods) && entry.kind === 'file') ||
      OWNED_LOCKS.some(([file]) => host === `${HOST_PATHS.lockDir}/${file}`) ||
      (host === HOST_PATHS.lockDir && entry.onlyIfEmpty === true));
  if (!ok || hostPath(rootDir, entry.hostPath) !== entry.path) {
    throw new Error(
      `internal: reset plan entry ${entry.path} is not a path bootkube owns; nothing was removed`,
    );
  }
}
