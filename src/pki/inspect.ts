/**
 * Reading certificates: parsing PEM text the user or an asset dir holds, with errors that say what
 * is wrong, and describing a certificate for `--json` output and tests.
 */
import { X509Certificate } from 'node:crypto';
import { PkiBadPemError } from './errors.js';
import { describeLabels, pemBlocks, requirePem } from './pem.js';
import type { CertificateInfo } from './types.js';

const EXTENDED_KEY_USAGES: Record<string, string> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
};

/** Parses PEM text holding exactly one certificate; throws PKI_BAD_PEM naming `source` otherwise. */
export function loadCertificate(pem: string, source: string): X509Certificate {
  const blocks = pemBlocks(pem, source);
  requirePem(pem, blocks, source, 'a PEM certificate');
  const certificates = blocks.filter((b) => b.label === 'CERTIFICATE');
  if (certificates.length === 0) {
    throw new PkiBadPemError(source, `holds ${describeLabels(blocks)}, not a certificate`);
  }
  if (certificates.length > 1) {
    throw new PkiBadPemError(source, `holds ${certificates.length} certificates; expected one`, {
      hint: 'keep only the certificate itself in this file, not its chain',
    });
  }
  try {
    return new X509Certificate(certificates[0]!.der);
  } catch (cause) {
    throw new PkiBadPemError(source, 'holds a CERTIFICATE block that is not a valid X.509 certificate', {
      cause,
    });
  }
}

/** What `--json` reports about the certificate `pem` written to `path`. */
export function describeCertificate(name: string, path: string, pem: string): CertificateInfo {
  const certificate = loadCertificate(pem, path);
  const { notBefore, notAfter } = validityOf(certificate);
  return {
    name,
    path,
    subject: formatName(certificate.subject),
    issuer: formatName(certificate.issuer),
    sans: splitSubjectAltName(certificate.subjectAltName),
    notBefore: notBefore.toISOString(),
    notAfter: notAfter.toISOString(),
    sha256Fingerprint: certificate.fingerprint256,
    isCa: certificate.ca,
    extendedKeyUsages: (certificate.keyUsage ?? []).map((oid) => EXTENDED_KEY_USAGES[oid] ?? oid),
  };
}

/** The certificate's validity period as Dates. */
export function validityOf(certificate: X509Certificate): { notBefore: Date; notAfter: Date } {
  // Node 20 has no validFromDate; its validFrom text ("Nov 22 06:14:52 2026 GMT") parses with Date.
  return { notBefore: new Date(certificate.validFrom), notAfter: new Date(certificate.validTo) };
}

/** A name as node:crypto prints it (one attribute a line) on one line: `O=system:masters, CN=admin`. */
export function formatName(name: string): string {
  return name.split('\n').join(', ');
}

/**
 * node:crypto joins entries with ", " and quotes (JSON-style) any entry that would be ambiguous, so
 * the split respects quotes.
 */
function splitSubjectAltName(text: string | undefined): string[] {
  if (!text) return [];
  const entries: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char === '\\' && quoted) {
      current += char + (text[++i] ?? '');
      continue;
    }
    if (char === '"') quoted = !quoted;
    if (!quoted && text.startsWith(', ', i)) {
      entries.push(current);
      current = '';
      i++;
      continue;
    }
    current += char;
  }
  entries.push(current);
  return entries;
}
