/**
 * An asset dir read whole into memory (every file with its mode), for `certs renew` to write back
 * complete through writeDirAtomic; and the one repair an interrupted renew can need.
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CertsAssetDirError } from './errors.js';

export interface TreeFile {
  content: Buffer;
  mode: number;
}

export interface AssetTree {
  /** Absolute. */
  root: string;
  /** Mode of the asset dir, given to every directory when it is written back. */
  dirMode: number;
  /** Every regular file by its `/`-separated path relative to the root. */
  files: Map<string, TreeFile>;
}

/** Reads every file under `dir`; `label` names the flag in errors. Anything but files and dirs is refused. */
export async function readAssetTree(dir: string, label: string): Promise<AssetTree> {
  const root = resolve(dir);
  const st = await statAssetDir(root, dir, label);
  const files = new Map<string, TreeFile>();
  const walk = async (rel: string): Promise<void> => {
    for (const entry of await readdir(join(root, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) {
        const full = join(root, path);
        const [content, fst] = await Promise.all([readFile(full), lstat(full)]);
        files.set(path, { content, mode: fst.mode & 0o7777 });
      } else {
        throw new CertsAssetDirError(`${label} ${dir}: ${path} is not a regular file or directory`, {
          hint: 'renew rewrites the asset dir as a whole and keeps only files and dirs: replace it with a copy of its target',
        });
      }
    }
  };
  await walk('');
  return { root, dirMode: st.mode & 0o7777, files };
}

/** Throws CERTS_ASSET_DIR_INVALID unless `root` is a directory; returns its stat. */
export async function statAssetDir(root: string, dir: string, label: string): Promise<{ mode: number }> {
  const st = await lstat(root).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') {
      throw new CertsAssetDirError(`${label} ${dir}: does not exist`, {
        hint: 'give the dir `bootkube render` wrote',
      });
    }
    throw new CertsAssetDirError(`${label} ${dir}: cannot be read (${e.message})`, { cause: e });
  });
  if (!st.isDirectory())
    throw new CertsAssetDirError(`${label} ${dir}: is not a directory`, {
      hint: 'give the dir `bootkube render` wrote',
    });
  return st;
}
