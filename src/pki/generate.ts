/**
 * Makes the cluster's PKI from a plan. Key generation dominates the cost of `bootkube render`, so
 * every key is started at once and made in parallel on libuv's thread pool; signing (native, well
 * under a millisecond a certificate) then runs in plan order.
 */
import type { KeyType } from '../config/types.js';
import {
  caValidity,
  issue,
  leafValidity,
  selfSign,
  type CertificateTemplate,
  type Issuer,
} from './certificate.js';
import { describeCertificate } from './inspect.js';
import { generateKey, privateKeyToPem, publicKeyToPem, type KeyPair } from './keys.js';
import { needsKey, planPki, type CaName, type PlanEntry } from './plan.js';
import { checkExternalEtcd, FLAG_SOURCES, loadProvidedCa, type PkiSources } from './provided.js';
import type { CertificateInfo, PkiFile, PkiRequest, PkiResult } from './types.js';

const PRIVATE = 0o600;
const PUBLIC = 0o644;

/**
 * The PKI `req` asks for: files under `tls/` and a description of each certificate. Material the
 * user brings is validated first and named in errors by `sources` (the flags by default).
 */
export async function generatePki(req: PkiRequest, sources: PkiSources = FLAG_SOURCES): Promise<PkiResult> {
  const providedCa = req.ca ? loadProvidedCa(req.ca, sources, req.now) : undefined;
  if (req.etcd.mode === 'external') checkExternalEtcd(req.etcd, sources, req.now);
  const plan = planPki(req);
  const keys = await generateKeys(plan, req.keyType);
  const issuers = new Map<CaName, Issuer>(providedCa ? [['ca', providedCa]] : []);
  const files: PkiFile[] = [];
  const certificates: CertificateInfo[] = [];
  plan.forEach((entry, index) => {
    const written = writeEntry(entry, keys[index], issuers, req.now);
    files.push(...written);
    const certificate = written.find((f) => f.path.endsWith('.crt'));
    if (certificate) {
      certificates.push(describeCertificate(entry.name, certificate.path, certificate.content));
    }
  });
  return { files, certificates };
}

/** One key per entry that needs one (undefined for the others), all generated concurrently. */
function generateKeys(plan: PlanEntry[], type: KeyType): Promise<(KeyPair | undefined)[]> {
  return Promise.all(plan.map((entry) => (needsKey(entry) ? generateKey(type) : undefined)));
}

function writeEntry(
  entry: PlanEntry,
  key: KeyPair | undefined,
  issuers: Map<CaName, Issuer>,
  now: Date,
): PkiFile[] {
  switch (entry.kind) {
    case 'ca': {
      const pair = required(key, entry);
      const { pem, issuer } = selfSign(caTemplate(entry.name, entry.commonName, now), pair);
      issuers.set(entry.name, issuer);
      return certificateFiles(entry.path, pem, privateKeyToPem(pair.privateKey));
    }
    case 'leaf': {
      const pair = required(key, entry);
      const issuer = issuers.get(entry.issuer);
      if (!issuer) throw new Error(`internal: ${entry.name} is planned before its CA ${entry.issuer}`);
      const { name, commonName, organizations, usages, sans } = entry;
      const template = {
        name,
        commonName,
        organizations,
        usages,
        sans,
        isCa: false,
        ...leafValidity(now, issuer),
      };
      const pem = issue(template, pair.publicKey, issuer);
      return certificateFiles(entry.path, pem, privateKeyToPem(pair.privateKey));
    }
    case 'provided-ca':
    case 'provided-leaf':
      // Copied verbatim; a provided cluster CA was validated and registered as an issuer up front.
      return certificateFiles(entry.path, entry.certPem, entry.keyPem);
    case 'key-pair': {
      const pair = required(key, entry);
      return [
        { path: `${entry.path}.key`, content: privateKeyToPem(pair.privateKey), mode: PRIVATE },
        { path: `${entry.path}.pub`, content: publicKeyToPem(pair.publicKey), mode: PUBLIC },
      ];
    }
  }
}

function required(key: KeyPair | undefined, entry: PlanEntry): KeyPair {
  if (!key) throw new Error(`internal: no key was generated for ${entry.name}`);
  return key;
}

function caTemplate(name: string, commonName: string, now: Date): CertificateTemplate {
  const sans = { dns: [], ips: [] };
  return { name, commonName, organizations: [], isCa: true, usages: [], sans, ...caValidity(now) };
}

function certificateFiles(path: string, certPem: string, keyPem: string | undefined): PkiFile[] {
  const files: PkiFile[] = [{ path: `${path}.crt`, content: certPem, mode: PUBLIC }];
  if (keyPem !== undefined) files.push({ path: `${path}.key`, content: keyPem, mode: PRIVATE });
  return files;
}
