/**
 * `certs check-expiration` as a library call: every certificate of an asset dir with its expiry at
 * a given clock, the warnings a human should read, and which ones fail `--fail-within`.
 */
import { certificateName } from './asset-pki.js';
import { DAY_MS, expiresWithin, expiry, formatDate, WARNING_DAYS, type Expiry } from './expiry.js';
import { inventory, type CertificateEntry } from './inventory.js';

export interface CheckedCertificate extends CertificateEntry {
  expiry: Expiry;
}

export interface ExpirationReport {
  assetDir: string;
  /** The clock the expiries were computed at (ISO 8601). */
  checkedAt: string;
  failWithin: { text: string; seconds: number };
  certificates: CheckedCertificate[];
  /**
   * Names of the certificates that expire within `failWithin` (or have expired): any means exit 1.
   * tls/ names, and the names of embedded copies that differ from their tls/ file.
   */
  failing: string[];
  /** One sentence each: expired, expiring, or a copy that differs from its tls/ file. */
  warnings: string[];
  /** Set when an interrupted renew had left the asset dir moved aside and it was put back. */
  restored?: string;
}

/** Checks `assetDir` at `now`; `failWithin` as the user wrote it and in milliseconds. */
export async function checkExpiration(
  assetDir: string,
  now: Date,
  failWithin: { text: string; ms: number } = { text: '0', ms: 0 },
): Promise<ExpirationReport> {
  const inv = await inventory(assetDir);
  const certificates = inv.certificates.map((c) => ({ ...c, expiry: expiry(c, now) }));
  // A copy identical to its tls/ file is that certificate: it fails (and is named) as the tls/ file.
  const distinct = certificates.filter((c) => c.source === 'tls' || c.differs);
  const failing = distinct.filter((c) => expiresWithin(c.expiry, failWithin.ms)).map((c) => c.name);
  return {
    assetDir: inv.assetDir,
    checkedAt: now.toISOString(),
    failWithin: { text: failWithin.text, seconds: Math.round(failWithin.ms / 1000) },
    certificates,
    failing,
    warnings: warningsFor(certificates, inv.assetDir),
    ...(inv.restored ? { restored: inv.restored } : {}),
  };
}

function warningsFor(certificates: CheckedCertificate[], assetDir: string): string[] {
  const warnings: string[] = [];
  for (const c of certificates) {
    // A copy identical to its tls/ file expires with it: one warning, on the tls/ file, is enough.
    if (c.source !== 'tls' && !c.differs) continue;
    const { state, notAfter, remainingSeconds } = c.expiry;
    const when = formatDate(notAfter);
    const what = c.source === 'tls' ? `${c.name} (${c.path})` : c.name;
    const fix = c.source === 'tls' ? renewHint(c, assetDir) : '';
    if (state === 'expired') warnings.push(`${what} expired on ${when}: TLS with it fails now.${fix}`);
    else if (state === 'expires-today') warnings.push(`${what} expires today, at ${when}.${fix}`);
    else if (state === 'warning') {
      const days = Math.floor((remainingSeconds * 1000) / DAY_MS);
      warnings.push(`${what} expires in ${days} days, on ${when} (under ${WARNING_DAYS} days).${fix}`);
    }
    if (c.source !== 'tls' && c.differs) {
      warnings.push(
        c.copyOf
          ? `${c.name} differs from ${c.copyOf}: renewing ${certificateName(c.copyOf)} rewrites it from tls/.`
          : `${c.name} is not a copy of any certificate under tls/.`,
      );
    }
  }
  return warnings;
}

function renewHint(c: CheckedCertificate, assetDir: string): string {
  const ca = c.isCa && !c.signedBy;
  return ca
    ? ` Renew it with: bootkube certs renew ${c.name} --renew-ca --asset-dir ${assetDir} (renews every certificate it signed too).`
    : ` Renew it with: bootkube certs renew ${c.name} --asset-dir ${assetDir}`;
}
