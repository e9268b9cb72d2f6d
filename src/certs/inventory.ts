/**
 * Every certificate of an asset dir: the files under tls/, and the copies embedded in auth/
 * kubeconfigs and manifests/ Secrets, each copy compared with the tls/ file it copies.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describeCertificate, type CertificateInfo } from '../pki/index.js';
import { loadAssetPki, type AssetPki } from './asset-pki.js';
import { recoverInterrupted } from '../fs/atomic-dir.js';
import { statAssetDir } from './asset-tree.js';
import { CertsAssetDirError } from './errors.js';

/** Where a certificate was read: an asset dir's tls/, a kubeconfig, a Secret, or (on a running cluster) a TLS handshake. */
export type CertificateSource = 'tls' | 'kubeconfig' | 'secret' | 'served';

export interface CertificateEntry extends CertificateInfo {
  source: CertificateSource;
  /** For a copy: where in `path` it sits, e.g. `users[admin].client-certificate-data`. */
  field?: string;
  /** The tls/ name of the CA here that signed it (`ca`, `etcd/ca`), if one did; absent for a self-signed CA. */
  signedBy?: string;
  /** For a copy: the tls/ certificate it copies (absent when none fits). */
  copyOf?: string;
  /** For a copy: true unless it is exactly its tls/ certificate. */
  differs?: boolean;
}

export interface Inventory {
  assetDir: string;
  /** tls/ certificates by name, then the copies file by file. */
  certificates: CertificateEntry[];
  /** Set when an interrupted renew had left the asset dir moved aside and it was put back. */
  restored?: string;
}

/** The dirs of an asset dir that hold or embed certificates. */
const CERTIFICATE_DIRS = ['tls', 'auth', 'manifests'];

/** Every certificate in `assetDir`; `label` names the flag in errors. */
export async function inventory(assetDir: string, label = '--asset-dir'): Promise<Inventory> {
  const root = resolve(assetDir);
  const restored = await recoverInterrupted(root);
  await statAssetDir(root, assetDir, label);
  const pki = loadAssetPki(await readCertificateFiles(root));
  if (pki.certificates.size === 0) {
    throw new CertsAssetDirError(`${label} ${assetDir}: holds no certificates under tls/`, {
      hint: 'give the dir `bootkube render` wrote',
    });
  }
  return { assetDir: root, certificates: describeAll(pki), ...(restored ? { restored } : {}) };
}

/** Describes the tls/ certificates and every embedded copy of `pki`. */
export function describeAll(pki: AssetPki): CertificateEntry[] {
  const entries: CertificateEntry[] = [];
  const byName = [...pki.certificates.values()].sort((a, b) => a.name.localeCompare(b.name));
  for (const cert of byName) {
    const signedBy = pki.issuerOf(cert)?.name;
    entries.push({
      ...describeCertificate(cert.name, cert.path, cert.pem),
      source: 'tls',
      ...(signedBy ? { signedBy } : {}),
    });
  }
  for (const file of pki.embedding) {
    for (const copy of file.copies.filter((c) => c.kind === 'certificate')) {
      const copyOf = pki.counterpartOf(copy);
      const original = copyOf ? pki.certificates.get(copyOf) : undefined;
      const signer = original && pki.issuerOf(original);
      const info = describeCertificate(`${copy.file} ${copy.field}`, copy.file, copy.pem);
      entries.push({
        ...info,
        source: copy.file.startsWith('auth/') ? 'kubeconfig' : 'secret',
        field: copy.field,
        ...(original ? { copyOf: original.path } : {}),
        ...(signer ? { signedBy: signer.name } : {}),
        differs: original?.x509.fingerprint256 !== info.sha256Fingerprint,
      });
    }
  }
  return entries;
}

/** tls/** and the files of auth/ and manifests/ (which may embed copies), by relative path. */
async function readCertificateFiles(root: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(join(root, rel), { withFileTypes: true }).catch(
      (e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return [];
        throw e;
      },
    );
    for (const entry of entries) {
      const path = `${rel}/${entry.name}`;
      if (entry.isDirectory() && rel.startsWith('tls')) await walk(path);
      else if (entry.isFile() || entry.isSymbolicLink()) {
        const text = await readFile(join(root, path), 'utf8').catch((e: Error) => {
          throw new CertsAssetDirError(`${path}: cannot be read (${e.message})`, { cause: e });
        });
        files.set(path, text);
      }
    }
  };
  for (const dir of CERTIFICATE_DIRS) await walk(dir);
  return files;
}
