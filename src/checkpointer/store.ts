/**
 * The checkpoints on disk (reference §5.1): inactive manifests in inactive-manifests/, active
 * ones in the kubelet's static-pod dir, both named `<namespace>-<name>.json`; the files of their
 * volumes in checkpoint-secrets/ and checkpoint-configmaps/ under `<namespace>/<pod>/<dir>/`.
 * Every host path sits under `rootDir`. Every write is atomic (temp file, fsync, rename, fsync
 * the dir): after a kill -9 a file holds its old or its new content, and the kubelet, which skips
 * dot-files, never sees a half-written manifest. Manifests and files are 0600 (a manifest may
 * hold values from Secrets), dirs 0700, files owned by the pod's user.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { chown, lstat, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import YAML from 'yaml';
import { TEMP_MARKER, fsyncDir, writeFileAtomic, writeNewFile } from '../fs/atomic-file.js';
import { HOST_PATHS } from '../render/constants.js';
import { CheckpointStoreError } from './errors.js';
import { isCheckpoint, podId, splitId } from './pods.js';
import { manifestBytes } from './sanitize.js';
import type { Logger } from './types.js';
import type { CheckpointDir, CheckpointRoot } from './volumes.js';

export interface StoreLayout {
  staticPods: string;
  inactive: string;
  secrets: string;
  configMaps: string;
}

/** The dirs under `rootDir` ('/' on a real node). */
export function storeLayout(rootDir = '/'): StoreLayout {
  return {
    staticPods: join(rootDir, HOST_PATHS.staticPods),
    inactive: join(rootDir, HOST_PATHS.inactiveManifests),
    secrets: join(rootDir, HOST_PATHS.checkpointSecrets),
    configMaps: join(rootDir, HOST_PATHS.checkpointConfigMaps),
  };
}

export interface StoredManifest {
  id: string;
  pod: V1Pod;
  bytes: string;
}

export interface StoreOptions {
  log: Logger;
  /** A temp file in the static-pod dir older than this is a leftover (another program may be writing one now). */
  tempMaxAgeMs?: number;
  /** Wall clock for temp-file ages (file mtimes are wall-clock times). */
  wallClock?: () => number;
}

export interface Owner {
  uid: number;
  gid: number;
}

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

/** `<namespace>-<name>.json`, as v0.14 named them (recover reads these names). */
export function manifestFileName(id: string): string {
  const { namespace, name } = splitId(id);
  return `${namespace}-${name}.json`;
}

export class CheckpointStore {
  private readonly warned = new Set<string>();
  private readonly canChown = process.getuid?.() === 0;

  constructor(
    readonly layout: StoreLayout,
    private readonly opts: StoreOptions,
  ) {}

  /** Creates the checkpointer's dirs (0700) and the static-pod dir if missing. */
  async init(): Promise<void> {
    try {
      for (const dir of [this.layout.inactive, this.layout.secrets, this.layout.configMaps])
        await mkdir(dir, { recursive: true, mode: DIR_MODE });
      await mkdir(this.layout.staticPods, { recursive: true, mode: 0o755 });
    } catch (cause) {
      throw new CheckpointStoreError(`cannot create the checkpoint dirs: ${(cause as Error).message}`, {
        hint: 'run as root, or give a writable --root-dir',
        cause,
      });
    }
  }

  /** The checkpoints in the static-pod dir (only files carrying `checkpoint-of`). */
  readActive(): Promise<Map<string, StoredManifest>> {
    return this.readManifests(this.layout.staticPods, false);
  }

  /** The checkpoints in inactive-manifests/. */
  readInactive(): Promise<Map<string, StoredManifest>> {
    return this.readManifests(this.layout.inactive, true);
  }

  /** Writes the inactive manifest if its bytes differ; true if it did. */
  async writeInactive(manifest: V1Pod): Promise<boolean> {
    const bytes = manifestBytes(manifest);
    const path = join(this.layout.inactive, manifestFileName(podId(manifest)));
    if ((await readOptional(path))?.toString('utf8') === bytes) return false;
    await writeFileAtomic(path, bytes, FILE_MODE);
    return true;
  }

  /** Writes back a lost inactive copy of an active checkpoint, so that stopping it never deletes the last copy. */
  async restoreInactive(active: StoredManifest): Promise<void> {
    await writeFileAtomic(join(this.layout.inactive, manifestFileName(active.id)), active.bytes, FILE_MODE);
  }

  /** Copies the inactive manifest into the static-pod dir if different. */
  async start(id: string): Promise<'written' | 'unchanged' | 'missing'> {
    const bytes = await readOptional(join(this.layout.inactive, manifestFileName(id)));
    if (!bytes) return 'missing';
    const path = join(this.layout.staticPods, manifestFileName(id));
    const current = await readOptional(path);
    if (current?.equals(bytes)) return 'unchanged';
    if (current && !this.isCheckpointFile(path, current)) return 'missing';
    await writeFileAtomic(path, bytes, FILE_MODE);
    return 'written';
  }

  /** Deletes the active manifest; false if there was none. */
  async stop(id: string): Promise<boolean> {
    const path = join(this.layout.staticPods, manifestFileName(id));
    const current = await readOptional(path);
    if (!current || !this.isCheckpointFile(path, current)) return false;
    await rm(path, { force: true });
    await fsyncDir(this.layout.staticPods);
    return true;
  }

  /** Deletes everything of a checkpoint: its files, the inactive manifest, the active manifest last. */
  async remove(id: string): Promise<void> {
    const { namespace, name } = splitId(id);
    await rm(join(this.layout.secrets, namespace, name), { recursive: true, force: true });
    await rm(join(this.layout.configMaps, namespace, name), { recursive: true, force: true });
    await rm(join(this.layout.inactive, manifestFileName(id)), { force: true });
    await fsyncDir(this.layout.inactive);
    await this.stop(id);
  }

  /**
   * Makes the pod's checkpoint dirs hold exactly `dirs`: changed files are rewritten, files and
   * dirs no longer wanted are deleted. Returns how many files were written.
   */
  async writeDirs(id: string, dirs: CheckpointDir[], owner: Owner): Promise<number> {
    const { namespace, name } = splitId(id);
    let written = 0;
    for (const root of ['secrets', 'configmaps'] as CheckpointRoot[]) {
      const podDir = join(this.rootDir(root), namespace, name);
      const wanted = dirs.filter((d) => d.root === root);
      if (!wanted.length) {
        await rm(podDir, { recursive: true, force: true });
        continue;
      }
      await mkdir(podDir, { recursive: true, mode: DIR_MODE });
      for (const existing of await readdir(podDir)) {
        if (!wanted.some((d) => d.name === existing))
          await rm(join(podDir, existing), { recursive: true, force: true });
      }
      for (const d of wanted) written += await this.syncDir(join(podDir, d.name), d.files, owner);
    }
    return written;
  }

  /** A file of a checkpoint dir, e.g. a token whose expiry decides whether to renew it. */
  readDirFile(root: CheckpointRoot, id: string, dir: string, file: string): Promise<Buffer | undefined> {
    const { namespace, name } = splitId(id);
    return readOptional(join(this.rootDir(root), namespace, name, dir, file));
  }

  private rootDir(root: CheckpointRoot): string {
    return root === 'secrets' ? this.layout.secrets : this.layout.configMaps;
  }

  private async syncDir(dir: string, files: Map<string, Buffer>, owner: Owner): Promise<number> {
    await this.ensureDir(dir, owner);
    let written = 0;
    for (const [rel, content] of files) {
      const path = join(dir, rel);
      await this.ensureDir(dirname(path), owner);
      const st = await stat(path).catch(() => undefined);
      const same = st && (await readOptional(path))?.equals(content);
      if (
        same &&
        (st.mode & 0o777) === FILE_MODE &&
        (!this.canChown || (st.uid === owner.uid && st.gid === owner.gid))
      )
        continue;
      await this.writeOwned(path, content, owner);
      written++;
    }
    // Whatever else is there (a key gone from the Secret, a leftover temp file) goes.
    for (const rel of await listFiles(dir)) if (!files.has(rel)) await rm(join(dir, rel), { force: true });
    return written;
  }

  private async ensureDir(dir: string, owner: Owner): Promise<void> {
    await mkdir(dir, { recursive: true, mode: DIR_MODE });
    const st = await stat(dir);
    if (this.canChown && (st.uid !== owner.uid || st.gid !== owner.gid))
      await chown(dir, owner.uid, owner.gid);
  }

  /** writeFileAtomic, with the temp file chowned before the rename so the pod's user can always read the file. */
  private async writeOwned(path: string, content: Buffer, owner: Owner): Promise<void> {
    if (!this.canChown) return writeFileAtomic(path, content, FILE_MODE);
    const dir = dirname(path);
    const temp = join(
      dir,
      `.${basename(path)}${TEMP_MARKER}${process.pid}-${randomBytes(4).toString('hex')}`,
    );
    try {
      await writeNewFile(temp, content, FILE_MODE);
      await chown(temp, owner.uid, owner.gid);
      await rename(temp, path);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    await fsyncDir(dir);
  }

  private async readManifests(dir: string, ours: boolean): Promise<Map<string, StoredManifest>> {
    const out = new Map<string, StoredManifest>();
    let names: string[];
    try {
      names = (await readdir(dir)).sort();
    } catch (cause) {
      throw new CheckpointStoreError(`cannot read ${dir}: ${(cause as Error).message}`, { cause });
    }
    for (const name of names) {
      const path = join(dir, name);
      if (name.startsWith('.')) {
        if (name.includes(TEMP_MARKER)) await this.cleanTemp(path, ours);
        continue;
      }
      const st = await lstat(path).catch(() => undefined);
      if (!st?.isFile()) continue;
      const bytes = await readOptional(path);
      const pod = bytes && this.parse(path, bytes, st.mtimeMs);
      if (!pod || !isCheckpoint(pod)) continue;
      const id = podId(pod);
      if (out.has(id)) {
        this.warnOnce(`${path}:dup`, `${path}: a second checkpoint of ${id}; using the first`);
        continue;
      }
      out.set(id, { id, pod, bytes: bytes.toString('utf8') });
    }
    return out;
  }

  private async cleanTemp(path: string, ours: boolean): Promise<void> {
    // In our own dirs (one checkpointer per node) every temp file is a leftover of a killed write;
    // in the kubelet's dir another program may be writing one right now.
    if (!ours) {
      const st = await lstat(path).catch(() => undefined);
      const now = (this.opts.wallClock ?? Date.now)();
      if (!st || now - st.mtimeMs < (this.opts.tempMaxAgeMs ?? 60_000)) return;
    }
    await rm(path, { force: true });
  }

  private isCheckpointFile(path: string, bytes: Buffer): boolean {
    const pod = this.parse(path, bytes, 0);
    if (pod && isCheckpoint(pod)) return true;
    this.warnOnce(`${path}:foreign`, `${path} is not a checkpoint: left alone`);
    return false;
  }

  private parse(path: string, bytes: Buffer, mtimeMs: number): V1Pod | undefined {
    try {
      const value = YAML.parse(bytes.toString('utf8')) as V1Pod | null;
      if (value && typeof value === 'object' && value.metadata?.name) return value;
      throw new Error('not a pod');
    } catch (err) {
      this.warnOnce(
        `${path}:${mtimeMs}`,
        `${path}: skipped, cannot be parsed (${(err as Error).message.split('\n')[0]})`,
      );
      return undefined;
    }
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.opts.log.warn(message);
  }
}

async function readOptional(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Relative paths of the files under `dir`, recursively. */
async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(join(dir, e.name), rel)));
    else out.push(rel);
  }
  return out;
}
