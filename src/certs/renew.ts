/**
 * `certs renew`: reissues certificates of an asset dir from its own CAs, keeping each one's subject,
 * SANs, key usages and extended key usages (and its key, unless asked for a new one), then makes
 * every embedded copy (auth/ kubeconfigs, manifests/ Secrets) the new certificate.
 *
 * Crash story. The new asset dir is assembled and checked in memory (chains verify, keys match,
 * every copy equals its tls/ file) and then written by writeDirAtomic: complete into a hidden
 * staging dir beside the asset dir, fsynced, and swapped in with two renames (asset dir → a hidden
 * `.NAME.bootkube-old-PID-…`, staging dir → asset dir). A kill -9 or power cut
 *   - before the swap leaves the old asset dir (and a staging dir the next write removes);
 *   - between the two renames leaves no asset dir and the complete old one under its hidden name,
 *     which the next `bootkube certs` command (or render) renames back;
 *   - after the swap leaves the new one.
 * So the asset dir path never holds a mix of old and new files. Per-file atomic writes were
 * rejected: a crash between two files would leave tls/admin.crt renewed and auth/kubeconfig not.
 */
import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { resolve } from 'node:path';
import { writeDirAtomic, type DirFile, type WriteStage } from '../fs/atomic-dir.js';
import { acquireRunLock } from '../lock/index.js';
import {
  caValidity,
  checkCa,
  generateKey,
  issue,
  issuerFrom,
  keyMatches,
  leafValidity,
  loadPrivateKey,
  privateKeyToPem,
  selfSign,
  verifyChain,
  verifyPkiFiles,
  type Issuer,
  type KeyPair,
} from '../pki/index.js';
import type { KeyType } from '../config/types.js';
import { loadAssetPki, type AssetPki, type TlsCertificate } from './asset-pki.js';
import { recoverInterrupted } from '../fs/atomic-dir.js';
import { readAssetTree, statAssetDir } from './asset-tree.js';
import { CertsCaExpiredError, CertsCannotKeepError } from './errors.js';
import { selectForRenewal, type RenewReason, type Selected } from './select.js';
import { checkKept, shapeOf } from './shape.js';

export interface RenewOptions {
  /** Renew the CAs named (and every certificate each signed); without it a named CA is refused. */
  renewCa?: boolean;
  /** Give every renewed certificate a new key of the same type instead of keeping its key. */
  newKey?: boolean;
  /** How the user named the asset dir, for errors. */
  label?: string;
  /** After each step of the atomic write; crash tests kill the process here. */
  onStage?: (stage: WriteStage) => void;
}

export interface RenewedCertificate {
  name: string;
  path: string;
  isCa: boolean;
  /** The tls/ name of the CA that signed the renewal; absent for a CA. */
  signedBy?: string;
  reason: RenewReason;
  subject: string;
  sans: string[];
  extendedKeyUsages: string[];
  notAfterBefore: string;
  notAfter: string;
  newKey: boolean;
  /** The notAfter is the CA's own: the CA expires before a full leaf lifetime. */
  cappedByCa: boolean;
}

export interface RenewResult {
  assetDir: string;
  renewed: RenewedCertificate[];
  /** Left out of `--all`: their CA has no key here. */
  skipped: Array<{ name: string; why: string }>;
  /** Embedded copies rewritten: `auth/kubeconfig users[admin].client-certificate-data`, … */
  copiesUpdated: Array<{ file: string; field: string; copyOf: string }>;
  /** Every file whose content changed, relative to the asset dir. */
  filesChanged: string[];
  /** Set when an interrupted renew had left the asset dir moved aside and it was put back first. */
  restored?: string;
}

/** Renews `names` (or every leaf, for `'all'`) in `assetDir` as of `now`, atomically (see the module comment). */
export async function renew(
  assetDir: string,
  names: string[] | 'all',
  now: Date,
  opts: RenewOptions = {},
): Promise<RenewResult> {
  const label = opts.label ?? '--asset-dir';
  const root = resolve(assetDir);
  const restored = await recoverInterrupted(root);
  await statAssetDir(root, assetDir, label);
  // Read under the lock: what is written back must be what was read.
  const release = await acquireRunLock(root, { what: 'bootkube certs renew' });
  try {
    const tree = await readAssetTree(root, label);
    const texts = new Map([...tree.files].map(([path, f]) => [path, f.content.toString('utf8')]));
    const pki = loadAssetPki(texts);
    const { selected, skipped } = selectForRenewal(pki, names, opts.renewCa ?? false);
    const changed = new Map<string, string>();
    const renewed = await reissueAll(pki, selected, now, opts.newKey ?? false, changed);
    const copiesUpdated = updateCopies(pki, changed);
    for (const file of pki.embedding) if (file.changed()) changed.set(file.path, file.text());
    checkConsistent(texts, changed);

    const files: DirFile[] = [...tree.files].map(([path, f]) => ({
      path,
      content: changed.has(path) ? changed.get(path)! : f.content,
      mode: f.mode,
    }));
    await writeDirAtomic(root, files, { force: true, label, dirMode: tree.dirMode, onStage: opts.onStage });
    return {
      assetDir: root,
      renewed,
      skipped,
      copiesUpdated,
      filesChanged: [...changed.keys()].sort(),
      ...(restored ? { restored } : {}),
    };
  } finally {
    await release();
  }
}

/** Reissues every selected certificate, CAs first; new file contents go into `changed`. */
async function reissueAll(
  pki: AssetPki,
  selected: Selected[],
  now: Date,
  newKey: boolean,
  changed: Map<string, string>,
): Promise<RenewedCertificate[]> {
  const renewedCas = new Map<TlsCertificate, { issuer: Issuer; pem: string }>();
  const out: RenewedCertificate[] = [];
  for (const { cert, reason, ca } of selected) {
    const shape = shapeOf(cert.x509, cert.path);
    const key = await keyFor(pki, cert, newKey);
    let pem: string;
    let cappedByCa = false;
    if (cert.x509.ca) {
      const made = selfSign({ name: cert.name, ...shape, isCa: true, ...caValidity(now) }, key);
      renewedCas.set(cert, made);
      pem = made.pem;
    } else {
      const signer = ca!;
      const issuer = renewedCas.get(signer)?.issuer ?? existingIssuer(pki, signer, now);
      const validity = leafValidity(now, issuer);
      cappedByCa = validity.notAfter.getTime() === issuer.notAfter.getTime();
      pem = issue({ name: cert.name, ...shape, isCa: false, ...validity }, key.publicKey, issuer);
      verifyChain(pem, renewedCas.get(signer)?.pem ?? signer.pem, {
        leaf: `renewed ${cert.path}`,
        ca: signer.path,
      });
    }
    const x509 = new X509Certificate(pem);
    checkKept(shape, shapeOf(x509, `renewed ${cert.path}`), cert.path);
    changed.set(cert.path, pem);
    if (newKey)
      changed.set(cert.keyPath ?? cert.path.replace(/\.crt$/, '.key'), privateKeyToPem(key.privateKey));
    out.push({
      name: cert.name,
      path: cert.path,
      isCa: cert.x509.ca,
      ...(ca ? { signedBy: ca.name } : {}),
      reason,
      subject: x509.subject.replace(/\n/g, ', '),
      sans: x509.subjectAltName ? x509.subjectAltName.split(', ') : [],
      extendedKeyUsages: shape.usages,
      notAfterBefore: new Date(cert.x509.validTo).toISOString(),
      notAfter: new Date(x509.validTo).toISOString(),
      newKey,
      cappedByCa,
    });
  }
  return out;
}

/** The key pair to certify: the existing one (checked against the certificate), or a new one of its type. */
async function keyFor(pki: AssetPki, cert: TlsCertificate, newKey: boolean): Promise<KeyPair> {
  if (newKey) return generateKey(keyTypeOf(cert.x509.publicKey, cert.path));
  if (!cert.keyPath) {
    throw new CertsCannotKeepError(
      `${cert.path}: cannot be renewed keeping its key: ${cert.path.replace(/\.crt$/, '.key')} is missing`,
      {
        hint: 'pass --new-key to give it a new key',
      },
    );
  }
  const privateKey = loadPrivateKey(pki.keys.get(cert.keyPath)!, cert.keyPath);
  if (!keyMatches(privateKey, cert.x509)) {
    throw new CertsCannotKeepError(`${cert.keyPath}: is not the key of ${cert.path}`, {
      hint: 'put the matching key back, or pass --new-key to give it a new key',
    });
  }
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

function keyTypeOf(key: KeyObject, source: string): KeyType {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa' && details.modulusLength === 2048) return 'rsa-2048';
  if (key.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1') return 'ecdsa-p256';
  throw new CertsCannotKeepError(
    `${source}: cannot make a new key of its type (${key.asymmetricKeyType} ${details.modulusLength ?? details.namedCurve ?? ''})`,
    {
      hint: 'bootkube makes RSA 2048 and ECDSA P-256 keys; renew without --new-key to keep the key',
    },
  );
}

/** The signer of an unrenewed CA: its certificate, valid now, and its key. */
function existingIssuer(pki: AssetPki, ca: TlsCertificate, now: Date): Issuer {
  if (now.getTime() > new Date(ca.x509.validTo).getTime()) {
    throw new CertsCaExpiredError(
      `${ca.name}: the CA ${ca.path} expired on ${new Date(ca.x509.validTo).toISOString()}, so nothing it signs is valid`,
      {
        hint: `renew it first: bootkube certs renew ${ca.name} --renew-ca (which renews every certificate it signed too)`,
      },
    );
  }
  const certificate = checkCa(ca.pem, ca.path, now);
  const key = loadPrivateKey(pki.keys.get(ca.keyPath!)!, ca.keyPath!);
  if (!keyMatches(key, certificate)) {
    throw new CertsCannotKeepError(
      `${ca.keyPath}: is not the key of ${ca.path}, so it cannot sign renewals`,
      {
        hint: 'put the CA key back that belongs to the CA certificate',
      },
    );
  }
  return issuerFrom(certificate, key);
}

/** Points every embedded copy of a changed tls/ file at its new content. */
function updateCopies(pki: AssetPki, changed: Map<string, string>): RenewResult['copiesUpdated'] {
  const updated: RenewResult['copiesUpdated'] = [];
  for (const file of pki.embedding) {
    for (const copy of file.copies) {
      const source = pki.counterpartOf(copy);
      const content = source && changed.get(source);
      if (!source || content === undefined) continue;
      file.set(copy, content);
      updated.push({ file: copy.file, field: copy.field, copyOf: source });
    }
  }
  return updated;
}

/** The new asset dir's tls/ files fit together and every copy of a renewed file is that file. */
function checkConsistent(before: Map<string, string>, changed: Map<string, string>): void {
  const after = new Map(before);
  for (const [path, text] of changed) after.set(path, text);
  verifyPkiFiles(
    [...after]
      .filter(([p]) => p.startsWith('tls/') && /\.(crt|key|pub)$/.test(p))
      .map(([path, content]) => ({ path, content, mode: 0 })),
  );
  const pki = loadAssetPki(after);
  for (const file of pki.embedding) {
    for (const copy of file.copies) {
      const source = pki.counterpartOf(copy);
      if (source && changed.has(source) && copy.pem.trim() !== changed.get(source)!.trim()) {
        throw new Error(`internal: ${copy.file} ${copy.field} was not updated to the renewed ${source}`);
      }
    }
  }
}
