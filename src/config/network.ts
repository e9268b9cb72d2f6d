/**
 * Address arithmetic for the cluster's networks: parsing CIDRs strictly, the n-th address of a
 * network (service IPs), and overlap. Built on ipaddr.js for parsing; arithmetic on byte arrays.
 */
import ipaddr from 'ipaddr.js';
import type { Cidr } from './types.js';

/** Parses `text` as an IP address, strictly (no `10.2` shorthand); undefined when it is not one. */
export function parseIp(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (text.includes(':') && ipaddr.IPv6.isValid(text)) return ipaddr.IPv6.parse(text);
  return undefined;
}

/** Parses `a.b.c.d/n` or `v6::/n`; returns undefined when the text is not a CIDR. Host bits are cleared. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0 || !/^\d{1,3}$/.test(text.slice(slash + 1))) return undefined;
  const addr = parseIp(text.slice(0, slash));
  const prefix = Number(text.slice(slash + 1));
  if (!addr) return undefined;
  const family = addr.kind() === 'ipv4' ? 4 : 6;
  if (prefix > (family === 4 ? 32 : 128)) return undefined;
  const network = networkBytes(addr.toByteArray(), prefix);
  const networkText = ipaddr.fromByteArray(network).toString();
  return { text: `${networkText}/${prefix}`, network: networkText, prefix, family };
}

function networkBytes(bytes: number[], prefix: number): number[] {
  return bytes.map((b, i) => {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    return b & (0xff << (8 - bits)) & 0xff;
  });
}

function toBigInt(bytes: number[]): bigint {
  return bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
}

function fromBigInt(value: bigint, length: number): number[] {
  const out = new Array<number>(length);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return out;
}

/** How many addresses the network holds. */
export function addressCount(cidr: Cidr): bigint {
  return 1n << BigInt((cidr.family === 4 ? 32 : 128) - cidr.prefix);
}

/** The address `offset` places after the network address; undefined when it falls outside the network. */
export function nthAddress(cidr: Cidr, offset: number): string | undefined {
  if (BigInt(offset) >= addressCount(cidr)) return undefined;
  const bytes = ipaddr.parse(cidr.network).toByteArray();
  return ipaddr.fromByteArray(fromBigInt(toBigInt(bytes) + BigInt(offset), bytes.length)).toString();
}

/** True when the two networks share any address. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const shorter = a.prefix <= b.prefix ? a : b;
  const longer = shorter === a ? b : a;
  return ipaddr.parse(longer.network).match(ipaddr.parse(shorter.network), shorter.prefix);
}
