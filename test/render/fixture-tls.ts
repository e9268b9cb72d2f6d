// Real PEM material for render tests, made once with openssl (one EC key, one self-signed
// certificate): cheap, and parseable where a test decodes what render embedded.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TlsReader } from '../../src/render/values.js';

export interface FixtureTls {
  cert: string;
  key: string;
  pub: string;
}

let material: FixtureTls | undefined;

/** One EC P-256 key, its public key and a self-signed certificate (CN fixture). */
export function fixturePem(): FixtureTls {
  if (material) return material;
  const dir = mkdtempSync(join(tmpdir(), 'bootkube-render-tls-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
    execFileSync('openssl', [
      'req',
      '-x509',
      '-new',
      '-key',
      key,
      '-subj',
      '/CN=fixture',
      '-days',
      '1',
      '-out',
      cert,
    ]);
    const pub = execFileSync('openssl', ['ec', '-in', key, '-pubout'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    material = {
      cert: readFileSync(cert, 'utf8'),
      key: readFileSync(key, 'utf8'),
      pub: pub.toString('utf8'),
    };
    return material;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A TlsReader over the fixture material that records every path asked for (any `tls/` path works). */
export function fixtureTls(): { read: TlsReader; paths: Set<string> } {
  const pem = fixturePem();
  const paths = new Set<string>();
  const read: TlsReader = (path) => {
    if (!path.startsWith('tls/')) throw new Error(`render asked for a non-TLS path: ${path}`);
    paths.add(path);
    if (path.endsWith('.key')) return pem.key;
    if (path.endsWith('.pub')) return pem.pub;
    if (path.endsWith('.crt')) return pem.cert;
    throw new Error(`unexpected TLS path ${path}`);
  };
  return { read, paths };
}
