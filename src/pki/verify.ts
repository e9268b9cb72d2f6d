/**
 * Checks that certificates and keys fit together: a key and its certificate, a leaf and its CA, a CA
 * fit to sign. Used on what the user brings and on a whole asset dir's tls/ files.
 */
import { createPublicKey, type KeyObject, type X509Certificate } from 'node:crypto';
import * as der from './der.js';
import {
  PkiBadPemError,
  PkiChainError,
  PkiExpiredError,
  PkiKeyMismatchError,
  PkiNotCaError,
  PkiNotYetValidError,
} from './errors.js';
import { KeyUsage, readExtensions, readKeyUsage } from './extensions.js';
import { formatName, loadCertificate, validityOf } from './inspect.js';
import { readPrivateKey, spkiDer } from './keys.js';
import { describeLabels, pemBlocks, requirePem } from './pem.js';
import type { PkiFile } from './types.js';

/** Throws PKI_CHAIN_INVALID naming `sources.leaf` unless the CA `caPem` issued and signed `leafPem`. */
export function verifyChain(
  leafPem: string,
  caPem: string,
  sources: { leaf: string; ca: string } = { leaf: 'certificate', ca: 'CA certificate' },
): void {
  const leaf = loadCertificate(leafPem, sources.leaf);
  const ca = loadCertificate(caPem, sources.ca);
  if (!leaf.checkIssued(ca)) {
    throw new PkiChainError(
      sources.leaf,
      `was not issued by ${sources.ca} (issuer ${formatName(leaf.issuer)})`,
    );
  }
  if (!leaf.verify(ca.publicKey)) {
    throw new PkiChainError(sources.leaf, `its signature does not verify with the key of ${sources.ca}`);
  }
}

/** True when the private key `keyPem` is the key of the certificate `certPem`. */
export function keyMatchesCertificate(keyPem: string, certPem: string): boolean {
  return keyMatches(readPrivateKey(keyPem, 'private key'), loadCertificate(certPem, 'certificate'));
}

/** True when `key` (private or public) is the key of `certificate`: their SubjectPublicKeyInfos are equal. */
export function keyMatches(key: KeyObject, certificate: X509Certificate): boolean {
  return spkiDer(key).equals(spkiDer(certificate.publicKey));
}

/** The CA certificate `pem`, after checking it is a CA, may sign certificates and is valid at `now`. */
export function checkCa(pem: string, source: string, now: Date): X509Certificate {
  const certificate = loadCertificate(pem, source);
  // X509Certificate.ca (OpenSSL's X509_check_ca) is also false for a missing keyCertSign: say which.
  const keyUsage = readExtensions(certificate.raw).get(der.OID.keyUsage);
  if (keyUsage && !readKeyUsage(keyUsage).has(KeyUsage.keyCertSign)) {
    throw new PkiNotCaError(source, 'its keyUsage does not allow keyCertSign');
  }
  if (!certificate.ca) throw new PkiNotCaError(source, 'its basicConstraints do not say CA:TRUE');
  checkValidAt(certificate, source, now);
  return certificate;
}

/** Throws PKI_EXPIRED or PKI_NOT_YET_VALID unless `certificate` is valid at `now`. */
export function checkValidAt(certificate: X509Certificate, source: string, now: Date): void {
  const { notBefore, notAfter } = validityOf(certificate);
  if (now.getTime() > notAfter.getTime()) throw new PkiExpiredError(source, notAfter);
  if (now.getTime() < notBefore.getTime()) throw new PkiNotYetValidError(source, notBefore);
}

/**
 * Throws a PkiError naming the first file that does not fit: an `X.key` that is not the key of
 * `X.crt` (or of `X.pub`), or a leaf certificate that no CA among the files issued and signed.
 */
export function verifyPkiFiles(files: PkiFile[]): void {
  const byPath = new Map(files.map((f) => [f.path, f.content]));
  const certificates = files
    .filter((f) => f.path.endsWith('.crt'))
    .map((f) => ({ path: f.path, certificate: loadCertificate(f.content, f.path) }));
  const cas = certificates.filter((c) => c.certificate.ca);
  for (const { path, certificate } of certificates) {
    checkKeyBeside(path, (key) => keyMatches(key, certificate), byPath);
    if (!certificate.ca) checkIssuedByOneOf(path, certificate, cas);
  }
  for (const file of files.filter((f) => f.path.endsWith('.pub'))) {
    const publicKey = parsePublicKey(file.content, file.path);
    checkKeyBeside(file.path, (key) => spkiDer(key).equals(spkiDer(publicKey)), byPath);
  }
}

function checkKeyBeside(
  path: string,
  matches: (key: KeyObject) => boolean,
  byPath: Map<string, string>,
): void {
  const keyPath = path.replace(/\.(crt|pub)$/, '.key');
  const keyPem = byPath.get(keyPath);
  if (keyPem === undefined) return;
  if (!matches(readPrivateKey(keyPem, keyPath))) throw new PkiKeyMismatchError(keyPath, path);
}

function checkIssuedByOneOf(
  path: string,
  leaf: X509Certificate,
  cas: { path: string; certificate: X509Certificate }[],
): void {
  // Several CAs may share a subject (a BYO CA and an etcd CA both called "kubernetes"): any may sign.
  const issuers = cas.filter((ca) => leaf.checkIssued(ca.certificate));
  if (issuers.length === 0) {
    throw new PkiChainError(path, `was not issued by any CA here (issuer ${formatName(leaf.issuer)})`);
  }
  if (!issuers.some((ca) => leaf.verify(ca.certificate.publicKey))) {
    const names = issuers.map((ca) => ca.path).join(', ');
    throw new PkiChainError(path, `its signature does not verify with the key of ${names}`);
  }
}

function parsePublicKey(pem: string, source: string): KeyObject {
  const blocks = pemBlocks(pem, source);
  requirePem(pem, blocks, source, 'a PEM public key');
  const block = blocks.find((b) => b.label === 'PUBLIC KEY');
  if (!block) throw new PkiBadPemError(source, `holds ${describeLabels(blocks)}, not a public key`);
  try {
    return createPublicKey({ key: block.der, format: 'der', type: 'spki' });
  } catch (cause) {
    throw new PkiBadPemError(source, 'holds a PUBLIC KEY block that does not parse', { cause });
  }
}
