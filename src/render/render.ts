/**
 * `bootkube render`: from a validated ClusterConfig to a complete asset dir. Everything is made in
 * memory and checked (manifests parse, chains verify, keys match) before a single file is written,
 * then the dir is written atomically.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigError } from '../config/errors.js';
import type { ClusterConfig } from '../config/types.js';
import { writeDirAtomic, type DirFile, type WriteStage } from '../fs/atomic-dir.js';
import { generatePki, verifyPkiFiles } from '../pki/index.js';
import type { CertificateInfo, PkiRequest } from '../pki/types.js';
import { checkRenderedFiles } from './checks.js';
import { renderAssetFiles } from './manifests.js';
import { apiServerSans, etcdSans } from './sans.js';

export interface RenderOptions {
  config: ClusterConfig;
  assetDir: string;
  /** Replace an existing non-empty asset dir. */
  force: boolean;
  now?: Date;
  onStage?: (stage: WriteStage) => void;
}

export interface WrittenFile {
  path: string;
  /** Octal, e.g. `0600`. */
  mode: string;
  bytes: number;
}

export interface RenderResult {
  assetDir: string;
  files: WrittenFile[];
  certificates: CertificateInfo[];
}

/** Renders the asset dir described by `opts.config` into `opts.assetDir`. */
export async function render(opts: RenderOptions): Promise<RenderResult> {
  const { config } = opts;
  const pki = await generatePki(await pkiRequest(config, opts.now ?? new Date()));
  const tls = new Map(pki.files.map((f) => [f.path, f.content]));
  const lookup = (path: string): string => {
    const content = tls.get(path);
    if (content === undefined) throw new Error(`render: no TLS file ${path} was generated`);
    return content;
  };
  const rendered = renderAssetFiles(config, lookup);
  checkRenderedFiles(rendered);
  verifyPkiFiles(pki.files);

  const files: DirFile[] = [...pki.files, ...rendered].sort((a, b) => a.path.localeCompare(b.path));
  await writeDirAtomic(opts.assetDir, files, { force: opts.force, label: '--asset-dir', onStage: opts.onStage });
  return {
    assetDir: resolve(opts.assetDir),
    files: files.map((f) => ({ path: f.path, mode: `0${f.mode.toString(8)}`, bytes: Buffer.byteLength(f.content) })),
    certificates: pki.certificates,
  };
}

async function pkiRequest(config: ClusterConfig, now: Date): Promise<PkiRequest> {
  const ca = config.ca
    ? {
        certPem: await readInput(config.ca.certificatePath, '--ca-certificate-path'),
        keyPem: await readInput(config.ca.privateKeyPath, '--ca-private-key-path'),
      }
    : undefined;
  let etcd: PkiRequest['etcd'] = { mode: 'none' };
  if (config.etcd.tls && config.etcd.external) {
    const ext = config.etcd.external;
    etcd = {
      mode: 'external',
      caPem: await readInput(ext.caPath, '--etcd-ca-path'),
      certPem: await readInput(ext.certificatePath, '--etcd-certificate-path'),
      keyPem: await readInput(ext.privateKeyPath, '--etcd-private-key-path'),
    };
  } else if (config.etcd.tls) {
    etcd = { mode: 'generate', sans: etcdSans(config) };
  }
  return { keyType: config.keyType, nodeName: config.nodeName, apiServerSans: apiServerSans(config), etcd, ca, now };
}

async function readInput(path: string, flag: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : String(cause);
    throw new ConfigError(`${flag} ${path}`, `cannot read it (${reason})`, { hint: 'give the path of a PEM file', cause });
  }
}
