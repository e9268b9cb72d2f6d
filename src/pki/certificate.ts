/**
 * Issues X.509 v3 certificates: the TBSCertificate is composed here with forge's ASN.1 codec and
 * its DER signed natively by node:crypto (forge's JavaScript RSA is far too slow for a render).
 */
import { randomBytes, sign, type KeyObject, type X509Certificate } from 'node:crypto';
import * as der from './der.js';
import {
  authorityKeyIdentifier,
  basicConstraints,
  encodeExtension,
  extKeyUsage,
  keyIdOf,
  keyUsage,
  KeyUsage,
  readExtensions,
  readKeyId,
  subjectAltName,
  subjectKeyIdentifier,
  type ExtendedKeyUsage,
  type Extension,
} from './extensions.js';
import { validityOf } from './inspect.js';
import { spkiDer, type KeyPair } from './keys.js';
import { toPem } from './pem.js';
import type { SubjectAltNames } from './types.js';

/** kubeadm's clock-skew allowance: certificates start this long before they are made. */
export const BACKDATE_MS = 5 * 60 * 1000;
export const CA_VALIDITY_DAYS = 3650;
export const LEAF_VALIDITY_DAYS = 365;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface Validity {
  notBefore: Date;
  notAfter: Date;
}

export interface CertificateTemplate extends Validity {
  /** Names the certificate in errors, e.g. `apiserver`. */
  name: string;
  commonName: string;
  organizations: string[];
  isCa: boolean;
  /** Extended key usages of a leaf; ignored for CAs. */
  usages: ExtendedKeyUsage[];
  sans: SubjectAltNames;
}

/** What signing needs from a CA: its key, its subject exactly as encoded, its key id and validity. */
export interface Issuer extends Validity {
  privateKey: KeyObject;
  subjectDer: Buffer;
  /** The CA's subjectKeyIdentifier; leaves get no authorityKeyIdentifier when it has none (as Go does). */
  keyId?: Buffer;
}

/** A CA's validity: from `now` less the backdate, for ten years. */
export function caValidity(now: Date): Validity {
  const start = wholeSeconds(now.getTime());
  return { notBefore: new Date(start - BACKDATE_MS), notAfter: new Date(start + CA_VALIDITY_DAYS * DAY_MS) };
}

/** A leaf's validity: a year from `now` less the backdate, kept inside the issuer's validity. */
export function leafValidity(now: Date, issuer: Validity): Validity {
  const start = wholeSeconds(now.getTime());
  const notBefore = Math.max(start - BACKDATE_MS, issuer.notBefore.getTime());
  const notAfter = Math.min(start + LEAF_VALIDITY_DAYS * DAY_MS, issuer.notAfter.getTime());
  return { notBefore: new Date(notBefore), notAfter: new Date(notAfter) };
}

/** A self-signed certificate (PEM) for `key`, and the Issuer to sign leaves with it. */
export function selfSign(template: CertificateTemplate, key: KeyPair): { pem: string; issuer: Issuer } {
  const subjectDer = der.toDer(encodeName(template));
  const keyId = keyIdOf(spkiDer(key.publicKey));
  const { notBefore, notAfter } = template;
  const self: Issuer = { privateKey: key.privateKey, subjectDer, keyId, notBefore, notAfter };
  return { pem: build(template, key.publicKey, self, false), issuer: self };
}

/** A certificate (PEM) for `publicKey` signed by `issuer`. */
export function issue(template: CertificateTemplate, publicKey: KeyObject, issuer: Issuer): string {
  return build(template, publicKey, issuer, true);
}

/** The Issuer of an existing CA certificate and its (already matched) private key. */
export function issuerFrom(certificate: X509Certificate, privateKey: KeyObject): Issuer {
  const tbs = der.children(der.children(der.fromDer(certificate.raw))[0]!);
  const versioned = der.isContextTag(tbs[0]!, 0) ? 1 : 0;
  const subject = tbs[versioned + 4]!;
  const ski = readExtensions(certificate.raw).get(der.OID.subjectKeyIdentifier);
  return {
    privateKey,
    subjectDer: der.toDer(subject),
    ...(ski ? { keyId: readKeyId(ski) } : {}),
    ...validityOf(certificate),
  };
}

function build(
  template: CertificateTemplate,
  publicKey: KeyObject,
  issuer: Issuer,
  withAki: boolean,
): string {
  const spki = spkiDer(publicKey);
  const algorithm = signatureAlgorithm(issuer.privateKey);
  const extensions = extensionsFor(template, publicKey, keyIdOf(spki), withAki ? issuer.keyId : undefined);
  const tbs = der.sequence(
    der.explicit(0, der.unsignedInteger(Buffer.of(2))), // v3
    der.unsignedInteger(randomSerial()),
    algorithm,
    der.fromDer(issuer.subjectDer),
    der.sequence(der.time(template.notBefore), der.time(template.notAfter)),
    encodeName(template),
    der.fromDer(spki),
    der.explicit(3, der.sequence(...extensions.map(encodeExtension))),
  );
  const signature = sign('sha256', der.toDer(tbs), issuer.privateKey);
  return toPem('CERTIFICATE', der.toDer(der.sequence(tbs, algorithm, der.bitString(signature))));
}

function extensionsFor(
  template: CertificateTemplate,
  publicKey: KeyObject,
  keyId: Buffer,
  authorityKeyId: Buffer | undefined,
): Extension[] {
  // keyEncipherment only means something for RSA key transport; kubeadm leaves it off EC keys.
  const usageBits: number[] = [KeyUsage.digitalSignature];
  if (publicKey.asymmetricKeyType === 'rsa') usageBits.push(KeyUsage.keyEncipherment);
  if (template.isCa) usageBits.push(KeyUsage.keyCertSign);
  const extensions = [keyUsage(usageBits)];
  if (!template.isCa && template.usages.length > 0) extensions.push(extKeyUsage(template.usages));
  extensions.push(basicConstraints(template.isCa), subjectKeyIdentifier(keyId));
  if (authorityKeyId) extensions.push(authorityKeyIdentifier(authorityKeyId));
  if (template.sans.dns.length + template.sans.ips.length > 0) {
    extensions.push(subjectAltName(template.sans, `${template.name} certificate`));
  }
  return extensions;
}

/** O (one RDN each, in the order given) then CN: the order Go's pkix.Name writes, which kubeadm uses. */
function encodeName({ organizations, commonName }: CertificateTemplate): der.Asn1 {
  const rdn = (type: string, value: string) => der.set(der.sequence(der.oid(type), der.utf8String(value)));
  return der.sequence(
    ...organizations.map((o) => rdn(der.OID.organizationName, o)),
    rdn(der.OID.commonName, commonName),
  );
}

function signatureAlgorithm(signer: KeyObject): der.Asn1 {
  // RFC 4055 wants an explicit NULL parameter for RSA; RFC 5758 wants none for ECDSA.
  return signer.asymmetricKeyType === 'rsa'
    ? der.sequence(der.oid(der.OID.sha256WithRsa), der.nullValue())
    : der.sequence(der.oid(der.OID.ecdsaWithSha256));
}

/** 16 random octets with the top bit clear (positive) and the next set (no leading zero): 126 random bits. */
function randomSerial(): Buffer {
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x3f) | 0x40;
  return serial;
}

function wholeSeconds(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}
