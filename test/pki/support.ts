/**
 * Test support for src/pki: the real openssl binary as the judge of what src/pki writes, temp dirs,
 * and PKI material made by openssl (a user's own CA, an external etcd's certificates).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { PkiFile, PkiRequest } from '../../src/pki/index.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs openssl; never throws for a non-zero exit (a failed `verify` is a result). */
export function opensslResult(args: string[], cwd?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { cwd, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

/** Runs openssl and returns its stdout; throws with its stderr when it fails. */
export async function openssl(args: string[], cwd?: string): Promise<string> {
  const result = await opensslResult(args, cwd);
  if (result.code !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** Runs `fn` in a fresh temp dir that is removed afterwards, whatever happens. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'bootkube-pki-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes PkiFiles under `dir` with their modes. */
export async function writePkiFiles(dir: string, files: PkiFile[]): Promise<void> {
  for (const file of files) {
    const path = join(dir, file.path);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.content, { mode: file.mode });
  }
}

/** The content of `path` among `files`; fails the test when it is not there. */
export function fileContent(files: PkiFile[], path: string): string {
  const file = files.find((f) => f.path === path);
  if (!file) throw new Error(`no ${path} among ${files.map((f) => f.path).join(', ')}`);
  return file.content;
}

export const FIXED_NOW = new Date('2030-06-01T12:00:00.000Z');

/** A request with small defaults (ECDSA keys make tests fast); `overrides` replace fields. */
export function pkiRequest(overrides: Partial<PkiRequest> = {}): PkiRequest {
  return {
    keyType: 'ecdsa-p256',
    nodeName: 'master-0',
    apiServerSans: { dns: ['kubernetes', 'kubernetes.default'], ips: ['10.3.0.1'] },
    etcd: { mode: 'none' },
    now: FIXED_NOW,
    ...overrides,
  };
}

/** The seconds since the epoch of `date`, for `openssl verify -attime`. */
export function epoch(date: Date): string {
  return String(Math.floor(date.getTime() / 1000));
}

const OPENSSL_CONFIG = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
[ca_no_certsign]
basicConstraints = critical,CA:TRUE
keyUsage = critical,digitalSignature
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
[client_no_aki]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
# OpenSSL 3 adds both identifiers to issued certificates unless told not to.
subjectKeyIdentifier = none
authorityKeyIdentifier = none
`;

export interface Pem {
  certPem: string;
  keyPem: string;
}

export type ExtensionSection = 'ca' | 'ca_no_certsign' | 'client' | 'server' | 'client_no_aki';

/** A self-signed certificate made by openssl, valid for `days` from now on the real clock. */
export async function opensslSelfSigned(
  dir: string,
  options: { cn: string; days?: number; key?: string; section?: ExtensionSection },
): Promise<Pem> {
  const config = await configFile(dir);
  const name = uniqueName();
  await openssl(
    [
      'req',
      '-x509',
      '-newkey',
      options.key ?? 'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-days',
      String(options.days ?? 30),
      '-subj',
      `/CN=${options.cn}`,
      '-config',
      config,
      '-extensions',
      options.section ?? 'ca',
    ],
    dir,
  );
  return readPair(dir, name);
}

/** A certificate issued by `ca` with openssl, for a new key. */
export async function opensslIssued(
  dir: string,
  ca: Pem,
  options: { cn: string; days?: number; key?: string; section: ExtensionSection },
): Promise<Pem> {
  const config = await configFile(dir);
  const name = uniqueName();
  await writeFile(join(dir, `${name}-ca.crt`), ca.certPem);
  await writeFile(join(dir, `${name}-ca.key`), ca.keyPem);
  await openssl(
    [
      'req',
      '-new',
      '-newkey',
      options.key ?? 'ec:' + (await ecParams(dir)),
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${options.cn}`,
      '-config',
      config,
    ],
    dir,
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${name}-ca.crt`,
      '-CAkey',
      `${name}-ca.key`,
      '-set_serial',
      '4242',
      '-days',
      String(options.days ?? 30),
      '-extfile',
      config,
      '-extensions',
      options.section,
      '-out',
      `${name}.crt`,
    ],
    dir,
  );
  return readPair(dir, name);
}

/** A private key made by openssl, as PEM text; `args` are those of `openssl genpkey`. */
export async function opensslKey(dir: string, args: string[]): Promise<string> {
  return openssl(['genpkey', ...args], dir);
}

let counter = 0;
function uniqueName(): string {
  counter += 1;
  return `m${counter}`;
}

async function configFile(dir: string): Promise<string> {
  const path = join(dir, 'openssl.cnf');
  await writeFile(path, OPENSSL_CONFIG);
  return path;
}

async function ecParams(dir: string): Promise<string> {
  const path = join(dir, 'p256.pem');
  await openssl(['ecparam', '-name', 'prime256v1', '-out', path], dir);
  return path;
}

async function readPair(dir: string, name: string): Promise<Pem> {
  const [certPem, keyPem] = await Promise.all([
    readFile(join(dir, `${name}.crt`), 'utf8'),
    readFile(join(dir, `${name}.key`), 'utf8'),
  ]);
  return { certPem, keyPem };
}
