/**
 * DER building blocks over node-forge's ASN.1 codec. forge is used for ASN.1 only: keys and
 * signatures are node:crypto's (native), never forge's JavaScript RSA.
 */
import forge from 'node-forge';

const { asn1 } = forge;
const UNIVERSAL = asn1.Class.UNIVERSAL;
const CONTEXT = asn1.Class.CONTEXT_SPECIFIC;
const T = asn1.Type;

export type Asn1 = forge.asn1.Asn1;

export const OID = {
  sha256WithRsa: forge.pki.oids['sha256WithRSAEncryption']!,
  // forge's table has no ECDSA signature algorithms.
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: forge.pki.oids['commonName']!,
  organizationName: forge.pki.oids['organizationName']!,
  subjectKeyIdentifier: forge.pki.oids['subjectKeyIdentifier']!,
  keyUsage: forge.pki.oids['keyUsage']!,
  subjectAltName: forge.pki.oids['subjectAltName']!,
  basicConstraints: forge.pki.oids['basicConstraints']!,
  authorityKeyIdentifier: forge.pki.oids['authorityKeyIdentifier']!,
  extKeyUsage: '2.5.29.37',
  serverAuth: forge.pki.oids['serverAuth']!,
  clientAuth: forge.pki.oids['clientAuth']!,
} as const;

// forge works on "binary strings" (one char per byte); these convert at the boundary.
const bin = (bytes: Buffer): string => bytes.toString('binary');

export function sequence(...children: Asn1[]): Asn1 {
  return asn1.create(UNIVERSAL, T.SEQUENCE, true, children);
}

export function set(...children: Asn1[]): Asn1 {
  return asn1.create(UNIVERSAL, T.SET, true, children);
}

export function oid(dotted: string): Asn1 {
  return asn1.create(UNIVERSAL, T.OID, false, asn1.oidToDer(dotted).getBytes());
}

/** A non-negative INTEGER from its big-endian magnitude, with the sign octet DER requires. */
export function unsignedInteger(magnitude: Buffer): Asn1 {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  let bytes = magnitude.subarray(start);
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.of(0), bytes]);
  return asn1.create(UNIVERSAL, T.INTEGER, false, bin(bytes));
}

export function boolean(value: boolean): Asn1 {
  return asn1.create(UNIVERSAL, T.BOOLEAN, false, value ? '\xff' : '\x00');
}

export function nullValue(): Asn1 {
  return asn1.create(UNIVERSAL, T.NULL, false, '');
}

export function octetString(bytes: Buffer): Asn1 {
  return asn1.create(UNIVERSAL, T.OCTETSTRING, false, bin(bytes));
}

export function bitString(bytes: Buffer, unusedBits = 0): Asn1 {
  return asn1.create(UNIVERSAL, T.BITSTRING, false, String.fromCharCode(unusedBits) + bin(bytes));
}

export function utf8String(text: string): Asn1 {
  return asn1.create(UNIVERSAL, T.UTF8, false, bin(Buffer.from(text, 'utf8')));
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050, always whole seconds in UTC. */
export function time(date: Date): Asn1 {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '') + 'Z';
  const year = date.getUTCFullYear();
  if (year >= 1950 && year < 2050) return asn1.create(UNIVERSAL, T.UTCTIME, false, digits.slice(2));
  return asn1.create(UNIVERSAL, T.GENERALIZEDTIME, false, digits);
}

/** `[tag] EXPLICIT child`. */
export function explicit(tag: number, child: Asn1): Asn1 {
  return asn1.create(CONTEXT, tag, true, [child]);
}

/** `[tag] IMPLICIT` of a primitive type: the raw content octets under a context tag. */
export function implicitPrimitive(tag: number, content: Buffer): Asn1 {
  return asn1.create(CONTEXT, tag, false, bin(content));
}

export function toDer(node: Asn1): Buffer {
  return Buffer.from(asn1.toDer(node).getBytes(), 'binary');
}

/**
 * Parses DER without forge's guess that a BIT STRING holds ASN.1, so re-encoding a parsed node
 * (a SubjectPublicKeyInfo, an issuer Name) gives back exactly the input bytes.
 */
export function fromDer(der: Buffer): Asn1 {
  const parse = asn1.fromDer as unknown as (bytes: string, options: object) => Asn1;
  return parse(bin(der), { strict: true, decodeBitStrings: false });
}

/** The children of a constructed node (empty for a primitive one). */
export function children(node: Asn1): Asn1[] {
  return Array.isArray(node.value) ? node.value : [];
}

/** The content octets of a primitive node. */
export function content(node: Asn1): Buffer {
  return typeof node.value === 'string' ? Buffer.from(node.value, 'binary') : Buffer.alloc(0);
}

export function isContextTag(node: Asn1, tag: number): boolean {
  return node.tagClass === CONTEXT && node.type === tag;
}

export function readOid(node: Asn1): string {
  return asn1.derToOid(typeof node.value === 'string' ? node.value : '');
}
