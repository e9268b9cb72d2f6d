// Asset dirs for the certs tests: rendered by the library itself, with an injected clock.
import { execFileSync } from 'node:child_process';
import { loadClusterConfig } from '../../src/config/index.js';
import { render } from '../../src/render/render.js';

export const DAY = 24 * 60 * 60 * 1000;

/** Renders a complete asset dir into `dir` as if at `now` (ECDSA keys, for speed); `flags` as on the command line. */
export async function renderAssets(
  dir: string,
  now = new Date(),
  flags: Record<string, string> = {},
): Promise<void> {
  const config = await loadClusterConfig({
    flags: {
      'key-type': 'ecdsa-p256',
      'node-name': 'master-0',
      'api-servers': 'https://10.0.0.10:6443,https://api.example.com:6443',
      ...flags,
    },
    bootkubeVersion: '0.0.0',
  });
  await render({ config, assetDir: dir, force: false, now });
}

/** openssl, with its output as text; throws with openssl's stderr on failure. */
export const openssl = (...args: string[]): string =>
  execFileSync('openssl', args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });

/** openssl with `input` on stdin. */
export const opensslIn = (input: string, ...args: string[]): string =>
  execFileSync('openssl', args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });

/** What a renewal must keep, as openssl prints it: subject, SANs, key usage, extended key usage. */
export const shapeText = (path: string): string =>
  openssl('x509', '-noout', '-subject', '-ext', 'subjectAltName,keyUsage,extendedKeyUsage', '-in', path);

/** notAfter of a PEM file, as a Date. */
export const notAfter = (path: string): Date =>
  new Date(openssl('x509', '-noout', '-enddate', '-in', path).trim().split('=')[1]!);
