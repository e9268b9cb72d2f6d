/**
 * A pod's volumes on the node's disk, where the real kubelet puts them:
 * /var/lib/kubelet/pods/<uid>/volumes/kubernetes.io~<plugin>/<volume>/ (secret, configmap,
 * empty-dir, projected, downward-api), so a container's paths resolve through its volume mounts to
 * real files (SimNodeContext.containerPath) and a stand-in reads its flags' files as the real
 * binary would. Keys honour `items`, `defaultMode` and `mode`; every file is written atomically;
 * a key that is no longer in the object is removed.
 */
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import { writeFileAtomic } from '../../fs/atomic-file.js';
import type { Obj } from './reflector.js';

export const PODS_DIR = '/var/lib/kubelet/pods';

/** The volume plugin dir name of a volume source the kubelet materialises; undefined for hostPath and others. */
export function volumePlugin(v: Obj): string | undefined {
  if (v.secret) return 'kubernetes.io~secret';
  if (v.configMap) return 'kubernetes.io~configmap';
  if (v.emptyDir) return 'kubernetes.io~empty-dir';
  if (v.projected) return 'kubernetes.io~projected';
  if (v.downwardAPI) return 'kubernetes.io~downward-api';
  return undefined;
}

/** The volume's dir as a host path (unprefixed), for a pod UID. */
export function volumeDir(uid: string, v: Obj): string | undefined {
  const plugin = volumePlugin(v);
  return plugin ? join(PODS_DIR, uid, 'volumes', plugin, v.name) : undefined;
}

/** What a volume's files come from: the objects the kubelet's managers hold, and issued tokens. */
export interface VolumeSources {
  secret(name: string): Obj | undefined;
  configMap(name: string): Obj | undefined;
  /** The token of a projected serviceAccountToken source, if one was issued. */
  token(volume: string, audience: string | undefined): string | undefined;
  /** PEM of the cluster CA (kube-root-ca.crt's ca.crt), when known. */
  rootCa?: string;
}

type Files = Map<string, { data: Buffer; mode: number }>;

function keyFiles(
  data: Record<string, Buffer>,
  items: Obj[] | undefined,
  mode: number,
  out: Files,
  optional: boolean,
): void {
  if (items?.length) {
    for (const item of items) {
      const value = data[item.key];
      if (value === undefined) {
        if (optional) continue;
        continue;
      }
      out.set(item.path, { data: value, mode: item.mode ?? mode });
    }
    return;
  }
  for (const [k, v] of Object.entries(data)) out.set(k, { data: v, mode });
}

function secretData(o: Obj | undefined): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries((o?.data ?? {}) as Record<string, string>))
    out[k] = Buffer.from(v, 'base64');
  return out;
}

function configMapData(o: Obj | undefined): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries((o?.data ?? {}) as Record<string, string>))
    out[k] = Buffer.from(v, 'utf8');
  for (const [k, v] of Object.entries((o?.binaryData ?? {}) as Record<string, string>))
    out[k] = Buffer.from(v, 'base64');
  return out;
}

function fieldValue(pod: Obj, path: string): string {
  const m = /^metadata\.(labels|annotations)(?:\['(.+)'\])?$/.exec(path);
  if (m) {
    const map = (pod.metadata?.[m[1]!] ?? {}) as Record<string, string>;
    if (m[2]) return map[m[2]] ?? '';
    return Object.keys(map)
      .sort()
      .map((k) => `${k}=${JSON.stringify(map[k])}`)
      .join('\n');
  }
  const value = path.split('.').reduce<any>((o, k) => o?.[k], pod);
  return value === undefined ? '' : String(value);
}

function downwardFiles(pod: Obj, items: Obj[] | undefined, mode: number, out: Files): void {
  for (const item of items ?? []) {
    if (item.fieldRef?.fieldPath)
      out.set(item.path, {
        data: Buffer.from(fieldValue(pod, item.fieldRef.fieldPath)),
        mode: item.mode ?? mode,
      });
  }
}

/** The files of one volume, by path relative to its dir; undefined for a volume with no files (emptyDir). */
export function volumeFiles(pod: Obj, v: Obj, src: VolumeSources): Files | undefined {
  const out: Files = new Map();
  if (v.secret)
    keyFiles(
      secretData(src.secret(v.secret.secretName)),
      v.secret.items,
      v.secret.defaultMode ?? 0o644,
      out,
      !!v.secret.optional,
    );
  else if (v.configMap)
    keyFiles(
      configMapData(src.configMap(v.configMap.name)),
      v.configMap.items,
      v.configMap.defaultMode ?? 0o644,
      out,
      !!v.configMap.optional,
    );
  else if (v.downwardAPI) downwardFiles(pod, v.downwardAPI.items, v.downwardAPI.defaultMode ?? 0o644, out);
  else if (v.projected) {
    const mode = v.projected.defaultMode ?? 0o644;
    for (const s of (v.projected.sources ?? []) as Obj[]) {
      if (s.secret)
        keyFiles(secretData(src.secret(s.secret.name)), s.secret.items, mode, out, !!s.secret.optional);
      if (s.configMap) {
        const cm =
          src.configMap(s.configMap.name) ??
          (s.configMap.name === 'kube-root-ca.crt' && src.rootCa
            ? { data: { 'ca.crt': src.rootCa } }
            : undefined);
        keyFiles(configMapData(cm), s.configMap.items, mode, out, !!s.configMap.optional);
      }
      if (s.downwardAPI) downwardFiles(pod, s.downwardAPI.items, mode, out);
      if (s.serviceAccountToken) {
        const token = src.token(v.name, s.serviceAccountToken.audience);
        if (token !== undefined)
          out.set(s.serviceAccountToken.path, {
            data: Buffer.from(token),
            mode: s.serviceAccountToken.mode ?? mode,
          });
      }
    }
  } else return undefined;
  return out;
}

async function listFiles(dir: string, base = ''): Promise<string[]> {
  const entries = await readdir(join(dir, base), { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const e of entries) {
    const rel = join(base, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else out.push(rel);
  }
  return out;
}

/**
 * Writes every materialised volume of `pod` under `hostPath(…)`: files that changed, atomically;
 * files no longer in their object removed. `onlyLocal`: just the emptyDirs (a static pod has no API objects).
 */
export async function writePodVolumes(
  pod: Obj,
  hostPath: (p: string) => string,
  src: VolumeSources,
  onlyLocal = false,
): Promise<void> {
  const uid = pod.metadata?.uid as string;
  for (const v of (pod.spec?.volumes ?? []) as Obj[]) {
    const dir = volumeDir(uid, v);
    if (!dir) continue;
    const root = hostPath(dir);
    await mkdir(root, { recursive: true, mode: 0o755 });
    if (onlyLocal || v.emptyDir) continue;
    const files = volumeFiles(pod, v, src) ?? new Map();
    for (const [rel, f] of files) {
      const clean = normalize(rel);
      // A key path never leaves its volume, whatever `..` an object holds.
      if (clean.startsWith('..') || clean.startsWith('/')) continue;
      const file = join(root, clean);
      if (await same(file, f.data, f.mode & 0o777)) continue;
      await mkdir(dirname(file), { recursive: true });
      await writeFileAtomic(file, f.data, f.mode & 0o777);
    }
    for (const rel of await listFiles(root)) if (!files.has(rel)) await rm(join(root, rel), { force: true });
  }
}

async function same(file: string, data: Buffer, mode: number): Promise<boolean> {
  try {
    const [st, have] = await Promise.all([stat(file), readFile(file)]);
    return (st.mode & 0o777) === mode && have.equals(data);
  } catch {
    return false;
  }
}

/** Removes everything of a pod's volumes (its dir under /var/lib/kubelet/pods). */
export async function removePodVolumes(uid: string, hostPath: (p: string) => string): Promise<void> {
  await rm(hostPath(join(PODS_DIR, uid)), { recursive: true, force: true });
}
