/**
 * An asset dir as `start` consumes it (made by `render` or `recover`): loaded, parsed and checked
 * for consistency before anything on the node is touched. Every problem is one AssetDirError
 * naming the file and what to do.
 */
import { X509Certificate } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { KubeConfig } from '@kubernetes/client-node';
import { checkValidAt, verifyPkiFiles, type PkiFile } from '../pki/index.js';
import { SECRET_NAMES } from '../render/constants.js';
import { AssetDirError } from './errors.js';

export interface ManifestObject {
  /** Relative to the asset dir, for messages. */
  file: string;
  object: {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; [k: string]: unknown };
    [k: string]: unknown;
  };
}

export interface AssetDir {
  root: string;
  adminKubeconfig: string;
  kubeletKubeconfig: string;
  /** The API address every kubeconfig points at: where the shim and then the apiservers serve. */
  apiServer: URL;
  caPem: string;
  /** Pods of bootstrap-manifests/, in file order. */
  bootstrapPods: ManifestObject[];
  /** Objects of manifests/, in creation order: namespaces, then CRDs, then the rest, each by file path. */
  manifests: ManifestObject[];
  /** The union of the control-plane Secrets' data: the content of bootstrap-secrets. */
  bootstrapSecrets: Map<string, Buffer>;
}

/** Loads and checks `dir`; `now` is the clock certificates are checked against. */
export async function loadAssetDir(dir: string, now = new Date()): Promise<AssetDir> {
  const adminKubeconfig = join(dir, 'auth/kubeconfig');
  const kubeletKubeconfig = join(dir, 'auth/kubeconfig-kubelet');
  const caPem = await readText(dir, 'tls/ca.crt');
  const admin = loadKubeconfig(dir, 'auth/kubeconfig', caPem, now);
  loadKubeconfig(dir, 'auth/kubeconfig-kubelet', caPem, now);
  await checkTls(dir, now);
  const bootstrapPods = await loadManifests(dir, 'bootstrap-manifests');
  for (const pod of bootstrapPods) {
    if (pod.object.kind !== 'Pod')
      throw new AssetDirError(
        `${pod.file}: holds a ${pod.object.kind}; bootstrap-manifests/ holds Pods only`,
      );
  }
  if (bootstrapPods.length === 0)
    throw new AssetDirError(`${dir}: bootstrap-manifests/ holds no pods`, {
      hint: 'render or recover the asset dir again',
    });
  const manifests = await loadManifests(dir, 'manifests', true);
  return {
    root: dir,
    adminKubeconfig,
    kubeletKubeconfig,
    apiServer: admin,
    caPem,
    bootstrapPods,
    manifests: creationOrder(manifests),
    bootstrapSecrets: secretData(manifests),
  };
}

async function readText(dir: string, path: string): Promise<string> {
  try {
    return await readFile(join(dir, path), 'utf8');
  } catch (cause) {
    const reason =
      (cause as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'is missing'
        : `cannot be read (${(cause as Error).message})`;
    throw new AssetDirError(`asset dir ${dir}: ${path} ${reason}`, {
      hint: 'give the dir `bootkube render` or `bootkube recover` wrote',
      cause,
    });
  }
}

/** The kubeconfig's current context must resolve, trust the asset dir's CA and carry a valid client certificate. */
function loadKubeconfig(dir: string, path: string, caPem: string, now: Date): URL {
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(join(dir, path));
  } catch (cause) {
    throw new AssetDirError(`${path}: not a usable kubeconfig (${(cause as Error).message.split('\n')[0]})`, {
      cause,
    });
  }
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  if (!cluster || !user) throw new AssetDirError(`${path}: its current-context names no cluster or user`);
  const ca = cluster.caData ? Buffer.from(cluster.caData, 'base64').toString() : '';
  if (ca.trim() !== caPem.trim()) {
    throw new AssetDirError(`${path}: trusts another CA than tls/ca.crt`, {
      hint: 'the asset dir was mixed from two renders; render it again',
    });
  }
  if (!user.certData) throw new AssetDirError(`${path}: has no client certificate`);
  const cert = new X509Certificate(Buffer.from(user.certData, 'base64'));
  if (!cert.verify(new X509Certificate(caPem).publicKey)) {
    throw new AssetDirError(`${path}: its client certificate was not issued by tls/ca.crt`, {
      hint: 'render the asset dir again',
    });
  }
  wrapPki(() => checkValidAt(cert, path, now));
  return new URL(cluster.server);
}

async function checkTls(dir: string, now: Date): Promise<void> {
  const files: PkiFile[] = [];
  for (const path of await listFiles(dir, 'tls')) {
    files.push({ path, content: await readText(dir, path), mode: 0 });
  }
  wrapPki(() => {
    verifyPkiFiles(files);
    for (const f of files)
      if (f.path.endsWith('.crt')) checkValidAt(new X509Certificate(f.content), f.path, now);
  });
}

function wrapPki(fn: () => void): void {
  try {
    fn();
  } catch (cause) {
    const err = cause as { userMessage?: () => string; message: string };
    throw new AssetDirError(err.userMessage ? err.userMessage() : err.message, {
      hint: 'renew with `bootkube certs renew`, or render the asset dir again',
      cause,
    });
  }
}

/** Files under `sub`, relative to `dir`, skipping dot-files and dot-dirs (editor backups, leftovers). */
async function listFiles(dir: string, sub: string): Promise<string[]> {
  const entries = await readdir(join(dir, sub), { recursive: true, withFileTypes: true }).catch(
    () => undefined,
  );
  if (!entries) return [];
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath ?? e.path, e.name)))
    .filter((p) => !p.split('/').some((part) => part.startsWith('.')))
    .sort();
}

async function loadManifests(dir: string, sub: string, optional = false): Promise<ManifestObject[]> {
  const files = (await listFiles(dir, sub)).filter((f) => /\.(ya?ml|json)$/.test(f));
  if (files.length === 0 && !optional)
    throw new AssetDirError(`asset dir ${dir}: ${sub}/ is missing or empty`);
  const out: ManifestObject[] = [];
  for (const file of files) {
    const docs = parseAllDocuments(await readText(dir, file));
    let count = 0;
    for (const doc of docs) {
      if (doc.errors.length)
        throw new AssetDirError(`${file}: does not parse (${doc.errors[0]!.message.split('\n')[0]})`);
      const object = doc.toJS() as ManifestObject['object'] | null;
      if (object === null) continue;
      if (!object.apiVersion || !object.kind || !object.metadata?.name) {
        throw new AssetDirError(`${file}: document ${count + 1} lacks apiVersion, kind or metadata.name`);
      }
      out.push({ file, object });
      count++;
    }
    if (count === 0)
      throw new AssetDirError(`${file}: holds no object`, { hint: 'remove the file or fill it' });
  }
  return out;
}

function rank(m: ManifestObject): number {
  if (m.object.kind === 'Namespace') return 0;
  if (m.object.kind === 'CustomResourceDefinition') return 1;
  return 2;
}

/** Namespaces, then CRDs, then everything else; within each, by file path then document order (a stable sort). */
function creationOrder(manifests: ManifestObject[]): ManifestObject[] {
  return [...manifests].sort((a, b) => rank(a) - rank(b) || a.file.localeCompare(b.file));
}

function secretData(manifests: ManifestObject[]): Map<string, Buffer> {
  const data = new Map<string, Buffer>();
  const names = new Set<string>(Object.values(SECRET_NAMES));
  for (const { file, object } of manifests) {
    if (object.kind !== 'Secret' || !names.has(object.metadata.name)) continue;
    for (const [key, value] of Object.entries((object.data as Record<string, string>) ?? {})) {
      const bytes = Buffer.from(value, 'base64');
      const seen = data.get(key);
      if (seen && !seen.equals(bytes)) {
        throw new AssetDirError(
          `${file}: key ${key} differs from the same key in another control-plane Secret`,
        );
      }
      data.set(key, bytes);
    }
  }
  return data;
}
