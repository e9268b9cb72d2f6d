/**
 * The X.509 v3 extensions bootkube writes (RFC 5280 §4.2), and the two it reads back from a CA the
 * user brings: keyUsage (may it sign certificates?) and subjectKeyIdentifier (for the leaves' AKI).
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import * as der from './der.js';
import { PkiBadSanError } from './errors.js';
import type { SubjectAltNames } from './types.js';

export type ExtendedKeyUsage = 'serverAuth' | 'clientAuth';

/** Bit numbers of the KeyUsage BIT STRING (RFC 5280 §4.2.1.3). */
export const KeyUsage = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5 } as const;

export interface Extension {
  oid: string;
  critical: boolean;
  /** The DER of the extension's value (what the extnValue OCTET STRING wraps). */
  value: Buffer;
}

/** The Extension SEQUENCE; `critical` is only written when true, DER omitting the default. */
export function encodeExtension({ oid, critical, value }: Extension): der.Asn1 {
  const fields = [der.oid(oid), ...(critical ? [der.boolean(true)] : []), der.octetString(value)];
  return der.sequence(...fields);
}

export function basicConstraints(isCa: boolean): Extension {
  const value = der.sequence(...(isCa ? [der.boolean(true)] : []));
  return { oid: der.OID.basicConstraints, critical: true, value: der.toDer(value) };
}

/** A named-bit BIT STRING: trailing zero bits are dropped and counted as unused, as DER requires. */
export function keyUsage(bits: number[]): Extension {
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc((highest >> 3) + 1);
  for (const bit of bits) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  const unused = 7 - (highest & 7);
  return { oid: der.OID.keyUsage, critical: true, value: der.toDer(der.bitString(bytes, unused)) };
}

export function extKeyUsage(usages: ExtendedKeyUsage[]): Extension {
  const value = der.sequence(...usages.map((u) => der.oid(der.OID[u])));
  return { oid: der.OID.extKeyUsage, critical: false, value: der.toDer(value) };
}

export function subjectKeyIdentifier(keyId: Buffer): Extension {
  return { oid: der.OID.subjectKeyIdentifier, critical: false, value: der.toDer(der.octetString(keyId)) };
}

export function authorityKeyIdentifier(keyId: Buffer): Extension {
  const value = der.sequence(der.implicitPrimitive(0, keyId));
  return { oid: der.OID.authorityKeyIdentifier, critical: false, value: der.toDer(value) };
}

/** DNS names first, then IP addresses, as Go orders them; duplicates dropped as kubeadm does. */
export function subjectAltName(sans: SubjectAltNames, source: string): Extension {
  const dns = [...new Set(sans.dns)].map((name) => der.implicitPrimitive(2, dnsBytes(name, source)));
  const ips = [...new Set(sans.ips.map((ip) => ipBytes(ip, source).toString('hex')))].map((hex) =>
    der.implicitPrimitive(7, Buffer.from(hex, 'hex')),
  );
  return { oid: der.OID.subjectAltName, critical: false, value: der.toDer(der.sequence(...dns, ...ips)) };
}

/** dNSName is an IA5String: ASCII only, so an internationalised name must come in its xn-- form. */
function dnsBytes(name: string, source: string): Buffer {
  if (name === '' || !/^[\x21-\x7e]+$/.test(name)) {
    throw new PkiBadSanError(source, `DNS name "${name}" is empty or not printable ASCII`, {
      hint: 'write internationalised names in their punycode (xn--) form',
    });
  }
  return Buffer.from(name, 'ascii');
}

/** 4 octets for IPv4 (IPv4-mapped IPv6 included, as Go writes it), 16 for IPv6. */
function ipBytes(ip: string, source: string): Buffer {
  if (isIP(ip) === 0) throw new PkiBadSanError(source, `"${ip}" is not an IP address`);
  const parsed = ipaddr.parse(ip);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    return Buffer.from((parsed as ipaddr.IPv6).toIPv4Address().toByteArray());
  }
  return Buffer.from(parsed.toByteArray());
}

/**
 * RFC 5280 §4.2.1.2 method (1), as Go and OpenSSL compute it: SHA-1 of the subjectPublicKey BIT
 * STRING's bits (not of the whole SubjectPublicKeyInfo).
 */
export function keyIdOf(spki: Buffer): Buffer {
  const bitString = der.children(der.fromDer(spki))[1];
  if (!bitString) throw new Error('SubjectPublicKeyInfo without a subjectPublicKey');
  return createHash('sha1').update(der.content(bitString).subarray(1)).digest();
}

/** The extensions of a DER certificate, by OID. */
export function readExtensions(certificate: Buffer): Map<string, Extension> {
  const tbs = der.children(der.children(der.fromDer(certificate))[0]!);
  const wrapper = tbs.find((node) => der.isContextTag(node, 3));
  const list = wrapper ? der.children(der.children(wrapper)[0]!) : [];
  const extensions = new Map<string, Extension>();
  for (const ext of list) {
    const fields = der.children(ext);
    const critical = fields.length === 3 && der.content(fields[1]!)[0] !== 0;
    const oid = der.readOid(fields[0]!);
    extensions.set(oid, { oid, critical, value: der.content(fields[fields.length - 1]!) });
  }
  return extensions;
}

/** The bits set in a keyUsage extension. */
export function readKeyUsage(ext: Extension): Set<number> {
  const bytes = der.content(der.fromDer(ext.value)).subarray(1);
  const bits = new Set<number>();
  for (let bit = 0; bit < bytes.length * 8; bit++) {
    if (bytes[bit >> 3]! & (0x80 >> (bit & 7))) bits.add(bit);
  }
  return bits;
}

/** The key identifier a subjectKeyIdentifier extension carries. */
export function readKeyId(ext: Extension): Buffer {
  return der.content(der.fromDer(ext.value));
}
