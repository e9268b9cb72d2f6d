/**
 * Reads the fields the tests check out of `openssl x509 -noout -text -serial -subject -issuer`
 * output, so assertions compare against what OpenSSL itself decoded.
 */
import { openssl } from './support.js';

export interface OpensslView {
  /** `O = system:masters, CN = kubernetes-admin`: OpenSSL's one-line form, in DER order. */
  subject: string;
  issuer: string;
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
  /** Extension name (`X509v3 Key Usage`) → its value line(s) joined, and whether it is critical. */
  extensions: Map<string, { critical: boolean; value: string }>;
  signatureAlgorithm: string;
}

/** Decodes the certificate at `path` (relative to `cwd`) with openssl. */
export async function opensslView(path: string, cwd: string): Promise<OpensslView> {
  const text = await openssl(
    ['x509', '-in', path, '-noout', '-text', '-serial', '-subject', '-issuer', '-nameopt', 'oneline'],
    cwd,
  );
  return {
    subject: line(text, /^subject=(.*)$/m),
    issuer: line(text, /^issuer=(.*)$/m),
    serialHex: line(text, /^serial=(.*)$/m),
    notBefore: new Date(line(text, /Not Before: (.*)$/m)),
    notAfter: new Date(line(text, /Not After : (.*)$/m)),
    extensions: extensions(text),
    signatureAlgorithm: line(text, /Signature Algorithm: (.*)$/m),
  };
}

function line(text: string, pattern: RegExp): string {
  const match = pattern.exec(text);
  if (!match) throw new Error(`no ${pattern} in openssl output:\n${text}`);
  return match[1]!.trim();
}

function extensions(text: string): Map<string, { critical: boolean; value: string }> {
  const found = new Map<string, { critical: boolean; value: string }>();
  const block = /X509v3 extensions:\n([\s\S]*?)\n {4}Signature Algorithm/.exec(text)?.[1] ?? '';
  const lines = block.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const header = /^ {12}(X509v3 [^:]+):( critical)?\s*$/.exec(lines[i]!);
    if (!header) continue;
    const values: string[] = [];
    while (i + 1 < lines.length && /^ {16}/.test(lines[i + 1]!)) values.push(lines[++i]!.trim());
    found.set(header[1]!, { critical: header[2] !== undefined, value: values.join(' ') });
  }
  return found;
}
