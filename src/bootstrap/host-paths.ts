/**
 * Host paths of a node under a root prefix (`--root-dir`): `/` on a real master, a temp dir in
 * tests and rehearsals. Pods always see the unprefixed paths.
 */
import { join } from 'node:path';
import { writeDirAtomic } from '../fs/atomic-dir.js';
import { HOST_PATHS } from '../render/constants.js';
import type { AssetDir } from './asset-dir.js';

/** `path` (absolute, as pods see it) under `rootDir`. */
export function hostPath(rootDir: string, path: string): string {
  return join(rootDir, path);
}

/**
 * Writes the bootstrap pods' secrets (the union of the control-plane Secrets) to
 * `<root>/etc/kubernetes/bootstrap-secrets`: a 0700 dir of 0600 files, replaced atomically, so a
 * re-run after an interruption finds either the old set or the new one.
 */
export async function installBootstrapSecrets(asset: AssetDir, rootDir: string): Promise<string> {
  const dir = hostPath(rootDir, HOST_PATHS.bootstrapSecrets);
  const files = [...asset.bootstrapSecrets].map(([key, content]) => ({ path: key, content, mode: 0o600 }));
  await writeDirAtomic(dir, files, { force: true, label: 'bootstrap secrets', dirMode: 0o700 });
  return dir;
}
