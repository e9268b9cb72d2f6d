/**
 * Validation of the PKI material a user brings (their own cluster CA, their external etcd's CA and
 * client certificate) before anything is generated, so a bad file fails fast and by name.
 */
import type { X509Certificate } from 'node:crypto';
import { issuerFrom, type Issuer } from './certificate.js';
import { PkiBadUsageError, PkiKeyMismatchError } from './errors.js';
import { loadCertificate } from './inspect.js';
import { loadPrivateKey, readPrivateKey } from './keys.js';
import { checkCa, checkValidAt, keyMatches, verifyChain } from './verify.js';

/** How errors name each input: the flags by default, or paths when the caller knows them. */
export interface PkiSources {
  caCertificate: string;
  caPrivateKey: string;
  etcdCa: string;
  etcdCertificate: string;
  etcdPrivateKey: string;
}

export const FLAG_SOURCES: PkiSources = {
  caCertificate: '--ca-certificate-path',
  caPrivateKey: '--ca-private-key-path',
  etcdCa: '--etcd-ca-path',
  etcdCertificate: '--etcd-certificate-path',
  etcdPrivateKey: '--etcd-private-key-path',
};

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';

/** The Issuer of the user's CA after checking it is a CA valid at `now` and the key is its key. */
export function loadProvidedCa(
  ca: { certPem: string; keyPem: string },
  sources: Pick<PkiSources, 'caCertificate' | 'caPrivateKey'>,
  now: Date,
): Issuer {
  const certificate = checkCa(ca.certPem, sources.caCertificate, now);
  // bootkube signs with this key, so it must be an algorithm it signs with.
  const key = loadPrivateKey(ca.keyPem, sources.caPrivateKey);
  if (!keyMatches(key, certificate)) {
    throw new PkiKeyMismatchError(sources.caPrivateKey, sources.caCertificate);
  }
  return issuerFrom(certificate, key);
}

/**
 * Throws a PkiError naming the file unless the external etcd CA is a CA valid at `now`, the client
 * certificate is valid, issued by it and usable for client auth, and the key is its key.
 */
export function checkExternalEtcd(
  etcd: { caPem: string; certPem: string; keyPem: string },
  sources: Pick<PkiSources, 'etcdCa' | 'etcdCertificate' | 'etcdPrivateKey'>,
  now: Date,
): void {
  checkCa(etcd.caPem, sources.etcdCa, now);
  const certificate = loadCertificate(etcd.certPem, sources.etcdCertificate);
  checkValidAt(certificate, sources.etcdCertificate, now);
  // Only copied, never used to sign here: any algorithm the apiserver's TLS stack takes will do.
  const key = readPrivateKey(etcd.keyPem, sources.etcdPrivateKey);
  if (!keyMatches(key, certificate)) {
    throw new PkiKeyMismatchError(sources.etcdPrivateKey, sources.etcdCertificate);
  }
  verifyChain(etcd.certPem, etcd.caPem, { leaf: sources.etcdCertificate, ca: sources.etcdCa });
  checkClientAuth(certificate, sources.etcdCertificate);
}

/** Without an EKU extension any usage is allowed (RFC 5280); with one, it must include clientAuth. */
function checkClientAuth(certificate: X509Certificate, source: string): void {
  const usages = certificate.keyUsage;
  if (!usages || usages.includes(CLIENT_AUTH) || usages.includes(ANY_EXTENDED_KEY_USAGE)) return;
  throw new PkiBadUsageError(source, 'its extended key usages do not include clientAuth', {
    hint: 'the apiserver presents this certificate to etcd as a client: issue it with clientAuth',
  });
}
