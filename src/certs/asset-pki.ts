/**
 * The PKI of an asset dir as `certs` sees it: the certificates and keys under tls/, which CA signed
 * which certificate (found from the certificates themselves, so a CA you brought works the same),
 * and every embedded copy with the tls/ file it copies.
 */
import type { X509Certificate } from 'node:crypto';
import { keyMatches, loadCertificate, readPrivateKey } from '../pki/index.js';
import { mayEmbed, parseEmbeddingFile, type EmbeddedCopy, type EmbeddingFile } from './embedded.js';

export interface TlsCertificate {
  /** `apiserver`, `etcd/server`: the path under tls/ without `.crt`. */
  name: string;
  /** `tls/apiserver.crt`. */
  path: string;
  pem: string;
  x509: X509Certificate;
  /** `tls/apiserver.key` when that file exists. */
  keyPath?: string;
}

export interface AssetPki {
  /** By path, in path order. */
  certificates: Map<string, TlsCertificate>;
  /** tls/**.key texts by path. */
  keys: Map<string, string>;
  embedding: EmbeddingFile[];
  /** The tls/ CA certificate that issued and signed `cert`, if one here did (never itself). */
  issuerOf(cert: TlsCertificate): TlsCertificate | undefined;
  /** The tls/ file an embedded copy copies, or undefined when none fits. */
  counterpartOf(copy: EmbeddedCopy): string | undefined;
}

/** `tls/etcd/server.crt` → `etcd/server`. */
export function certificateName(path: string): string {
  return path.replace(/^tls\//, '').replace(/\.crt$/, '');
}

/** Builds the model from the asset dir's files (path → text); throws a PkiError naming any file that does not parse. */
export function loadAssetPki(files: ReadonlyMap<string, string>): AssetPki {
  const certificates = new Map<string, TlsCertificate>();
  const keys = new Map<string, string>();
  const paths = [...files.keys()].sort();
  for (const path of paths.filter((p) => p.startsWith('tls/') && p.endsWith('.key')))
    keys.set(path, files.get(path)!);
  for (const path of paths.filter((p) => p.startsWith('tls/') && p.endsWith('.crt'))) {
    const pem = files.get(path)!;
    const keyPath = path.replace(/\.crt$/, '.key');
    certificates.set(path, {
      name: certificateName(path),
      path,
      pem,
      x509: loadCertificate(pem, path),
      ...(keys.has(keyPath) ? { keyPath } : {}),
    });
  }
  const embedding = paths
    .filter((p) => mayEmbed(p, files.get(p)!))
    .map((p) => parseEmbeddingFile(p, files.get(p)!));
  for (const file of embedding) {
    for (const copy of file.copies.filter((c) => c.kind === 'certificate'))
      loadCertificate(copy.pem, `${copy.file} ${copy.field}`);
  }
  const cas = [...certificates.values()].filter((c) => c.x509.ca);

  const issuerOf = (cert: TlsCertificate) =>
    cas.find((ca) => ca !== cert && cert.x509.checkIssued(ca.x509) && cert.x509.verify(ca.x509.publicKey));

  const certificateCounterpart = (copy: EmbeddedCopy): string | undefined => {
    if (copy.hint && certificates.has(copy.hint)) return copy.hint;
    const x509 = loadCertificate(copy.pem, `${copy.file} ${copy.field}`);
    const all = [...certificates.values()];
    const same = all.find((c) => c.x509.fingerprint256 === x509.fingerprint256);
    if (same) return same.path;
    // A stale copy: the tls/ certificate of the same identity (subject and issuer), if only one is.
    const named = all.filter((c) => c.x509.subject === x509.subject && c.x509.issuer === x509.issuer);
    return named.length === 1 ? named[0]!.path : undefined;
  };

  const keyCounterpart = (copy: EmbeddedCopy): string | undefined => {
    if (copy.hint && keys.has(copy.hint)) return copy.hint;
    // A kubeconfig's key belongs with its client certificate, even where two tls/ keys are equal.
    const file = embedding.find((f) => f.path === copy.file);
    const cert = file?.copies.find((c) => c.field === copy.pairedWith);
    const certPath = cert && certificateCounterpart(cert);
    const keyPath = certPath && certificates.get(certPath)?.keyPath;
    if (keyPath) return keyPath;
    const text = normalize(copy.pem);
    for (const [path, pem] of keys) if (normalize(pem) === text) return path;
    // A key no tls/ file holds yet: the one whose certificate it matches.
    try {
      const key = readPrivateKey(copy.pem, `${copy.file} ${copy.field}`);
      return [...certificates.values()].find((c) => c.keyPath && keyMatches(key, c.x509))?.keyPath;
    } catch {
      return undefined;
    }
  };

  return {
    certificates,
    keys,
    embedding,
    issuerOf,
    counterpartOf: (copy) =>
      copy.kind === 'certificate' ? certificateCounterpart(copy) : keyCounterpart(copy),
  };
}

function normalize(pem: string): string {
  return pem.replace(/\r\n/g, '\n').trim();
}
