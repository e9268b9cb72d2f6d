/**
 * PEM framing (RFC 7468): splitting text into labelled blocks so callers can say precisely what a
 * file holds ("a private key where a certificate belongs") instead of relaying an OpenSSL error.
 */
import { PkiBadPemError } from './errors.js';

export interface PemBlock {
  /** The word(s) after BEGIN, e.g. `CERTIFICATE`, `RSA PRIVATE KEY`. */
  label: string;
  /** RFC 1421 headers such as `Proc-Type: 4,ENCRYPTED` (legacy encrypted OpenSSL keys). */
  headers: Record<string, string>;
  der: Buffer;
  /** The block as it appeared, BEGIN to END lines included. */
  text: string;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Every PEM block of `text`, in order; throws PKI_BAD_PEM when a block's body is not base64. */
export function pemBlocks(text: string, source: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const label = match[1] ?? '';
    const { headers, body } = splitHeaders(match[2] ?? '');
    if (!BASE64.test(body) || body.length === 0) {
      throw new PkiBadPemError(source, `the ${label} block is not valid base64`);
    }
    blocks.push({ label, headers, der: Buffer.from(body, 'base64'), text: match[0] });
  }
  return blocks;
}

/** PEM text for `der` under `label`, 64 characters a line, newline-terminated, as OpenSSL and Go write it. */
export function toPem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Throws PKI_BAD_PEM for text with no PEM block at all, saying whether it was empty or something else. */
export function requirePem(text: string, blocks: PemBlock[], source: string, expected: string): void {
  if (blocks.length > 0) return;
  if (text.trim() === '') {
    throw new PkiBadPemError(source, `is empty; expected ${expected}`);
  }
  if (text.includes('-----BEGIN ')) {
    throw new PkiBadPemError(
      source,
      `has a -----BEGIN ...----- line without its -----END ...----- line (truncated?)`,
    );
  }
  throw new PkiBadPemError(source, `is not PEM (no -----BEGIN ...----- line); expected ${expected}`, {
    hint: 'if it is DER, convert it with `openssl x509 -inform der` or `openssl pkey -inform der`',
  });
}

/** What a file holds instead, for messages: "a CERTIFICATE block", "PUBLIC KEY and CERTIFICATE blocks". */
export function describeLabels(blocks: { label: string }[]): string {
  const labels = [...new Set(blocks.map((b) => b.label))];
  if (labels.length > 1) return `${labels.join(' and ')} blocks`;
  const label = labels[0] ?? '';
  return `${/^[AEIOU]/.test(label) ? 'an' : 'a'} ${label} block`;
}

function splitHeaders(inner: string): { headers: Record<string, string>; body: string } {
  const headers: Record<string, string> = {};
  let rest = inner;
  // RFC 1421 headers end at the first blank line; without a colon on the first line there are none.
  if (/^[A-Za-z-]+:/.test(rest)) {
    const end = rest.search(/\r?\n\r?\n/);
    const head = end === -1 ? rest : rest.slice(0, end);
    for (const line of head.split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
    }
    rest = end === -1 ? '' : rest.slice(end);
  }
  return { headers, body: rest.replace(/\s+/g, '') };
}
