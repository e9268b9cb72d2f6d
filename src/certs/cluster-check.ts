/**
 * `certs check-expiration --kubeconfig`: the certificates of a running control plane — every one in
 * its Secrets, the certificate the API serves and the CA the kubeconfig trusts — with their expiry
 * computed exactly as for an asset dir (expiry.ts), one row per distinct certificate.
 */
import { X509Certificate } from 'node:crypto';
import { describeCertificate } from '../pki/index.js';
import type { Cluster } from '../status/connect.js';
import { servedCertificate } from '../status/serving.js';
import { DAY_MS, expiresWithin, expiry, formatDate, WARNING_DAYS } from './expiry.js';
import type { CheckedCertificate } from './check.js';
import { nameOfCopy, readControlPlaneSecrets, secretLocation } from './cluster-secrets.js';

export interface ClusterCertificate extends CheckedCertificate {
  /** Every place this very certificate sits: `secret kube-system/kube-apiserver data[apiserver.crt]`, `served by https://…`, … */
  locations: string[];
}

export interface ClusterExpirationReport {
  /** The API server URL of the kubeconfig. */
  cluster: string;
  kubeconfig: string;
  checkedAt: string;
  failWithin: { text: string; seconds: number };
  /** One per distinct certificate (by fingerprint), Secrets first, by name. */
  certificates: ClusterCertificate[];
  /** Names of the certificates that expire within `failWithin` (or have expired): any means exit 1. */
  failing: string[];
  warnings: string[];
}

interface Found {
  name: string;
  location: string;
  path: string;
  field?: string;
  source: 'secret' | 'served' | 'kubeconfig';
  pem: string;
}

/** Every certificate of the control plane `cluster` reaches, at `now`. */
export async function checkClusterExpiration(
  cluster: Cluster,
  now: Date,
  failWithin: { text: string; ms: number } = { text: '0', ms: 0 },
): Promise<ClusterExpirationReport> {
  const warnings: string[] = [];
  const found: Found[] = [];
  for (const secret of await readControlPlaneSecrets(cluster)) {
    if (!secret.embedding) {
      warnings.push(
        `${secretLocation(secret.name)} does not exist: this is not a control plane bootkube rendered, or it was deleted.`,
      );
      continue;
    }
    for (const copy of secret.embedding.copies.filter((c) => c.kind === 'certificate')) {
      found.push({
        name: nameOfCopy(copy),
        location: `${copy.file} ${copy.field}`,
        path: copy.file,
        field: copy.field,
        source: 'secret',
        pem: copy.pem,
      });
    }
  }
  const served = await servedCertificate(cluster.server).catch(() => undefined);
  if (served)
    found.push({
      name: 'apiserver',
      location: `served by ${cluster.server.origin}`,
      path: cluster.server.origin,
      source: 'served',
      pem: served.pem,
    });
  if (cluster.ca)
    found.push({
      name: 'ca',
      location: `${cluster.kubeconfig} certificate-authority-data`,
      path: cluster.kubeconfig,
      field: 'certificate-authority-data',
      source: 'kubeconfig',
      pem: cluster.ca,
    });

  const certificates = distinct(found, now);
  for (const [name, rows] of groupBy(certificates, (c) => c.name)) {
    if (rows.length < 2) continue;
    const where = rows.map((r) => r.locations.join(' and ')).join('; ');
    const rolling = name === 'apiserver' && rows.some((r) => r.source === 'served');
    warnings.push(
      rolling
        ? `the API serves another apiserver certificate than its Secret holds (${where}): a renewal not rolled out yet? \`bootkube certs renew apiserver --kubeconfig …\` rolls it.`
        : `${name} is not the same certificate everywhere: ${where}.`,
    );
    for (const r of rows.slice(1)) r.differs = true;
  }
  for (const c of certificates) warnings.push(...expiryWarnings(c, cluster));
  const failing = certificates.filter((c) => expiresWithin(c.expiry, failWithin.ms)).map((c) => c.name);
  return {
    cluster: cluster.server.origin,
    kubeconfig: cluster.kubeconfig,
    checkedAt: now.toISOString(),
    failWithin: { text: failWithin.text, seconds: Math.round(failWithin.ms / 1000) },
    certificates,
    failing: [...new Set(failing)],
    warnings,
  };
}

/** One row per fingerprint, in the order found, with every location of it. */
function distinct(found: Found[], now: Date): ClusterCertificate[] {
  const byPrint = new Map<string, ClusterCertificate>();
  for (const f of found) {
    const print = new X509Certificate(f.pem).fingerprint256;
    const known = byPrint.get(print);
    if (known) {
      known.locations.push(f.location);
      continue;
    }
    const info = describeCertificate(f.name, f.path, f.pem);
    byPrint.set(print, {
      ...info,
      source: f.source,
      ...(f.field ? { field: f.field } : {}),
      locations: [f.location],
      expiry: expiry(info, now),
    });
  }
  return [...byPrint.values()];
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const i of items) m.set(key(i), [...(m.get(key(i)) ?? []), i]);
  return m;
}

function expiryWarnings(c: ClusterCertificate, cluster: Cluster): string[] {
  const { state, notAfter, remainingSeconds } = c.expiry;
  const when = formatDate(notAfter);
  const what = `${c.name} (${c.locations[0]})`;
  const fix = c.isCa
    ? ' A CA is never renewed on a running cluster: see docs/day-2.md.'
    : ` Renew it with: bootkube certs renew ${c.name} --asset-dir ASSETS --kubeconfig ${cluster.kubeconfig}`;
  if (state === 'expired') return [`${what} expired on ${when}: TLS with it fails now.${fix}`];
  if (state === 'expires-today') return [`${what} expires today, at ${when}.${fix}`];
  if (state === 'warning') {
    const days = Math.floor((remainingSeconds * 1000) / DAY_MS);
    return [`${what} expires in ${days} days, on ${when} (under ${WARNING_DAYS} days).${fix}`];
  }
  return [];
}
