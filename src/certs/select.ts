/**
 * Which certificates a `certs renew` request renews: the names given (as `check-expiration` shows
 * them), or every leaf for `--all`. A CA only when named together with `--renew-ca`, and then every
 * certificate it signed with it. Pure: decides from the asset dir's PKI, changes nothing.
 */
import type { AssetPki, TlsCertificate } from './asset-pki.js';
import { CertsCaRefusedError, CertsNoCaKeyError, CertsSelectionError } from './errors.js';

export type RenewReason = 'named' | 'all' | 'ca-renewed';

export interface Selected {
  cert: TlsCertificate;
  reason: RenewReason;
  /** For a leaf: the tls/ CA that signs its renewal. */
  ca?: TlsCertificate;
}

export interface Selection {
  /** CAs first, then leaves, each by name. */
  selected: Selected[];
  /** Leaves `--all` leaves out, with the reason (their CA has no key here). */
  skipped: Array<{ name: string; why: string }>;
}

/** Decides what `names` (or `'all'`) renews; throws a CertsError naming the first thing that cannot be. */
export function selectForRenewal(pki: AssetPki, names: string[] | 'all', renewCa: boolean): Selection {
  const all = [...pki.certificates.values()].sort((a, b) => a.name.localeCompare(b.name));
  const cas = all.filter((c) => c.x509.ca);
  const leaves = all.filter((c) => !c.x509.ca);
  const signedBy = (ca: TlsCertificate) => leaves.filter((l) => pki.issuerOf(l) === ca);

  if (names !== 'all' && names.length === 0) {
    throw new CertsSelectionError('name the certificates to renew, or pass --all', {
      hint: `names: ${all.map((c) => c.name).join(', ')}`,
    });
  }
  const named = names === 'all' ? [] : names.map((n) => lookup(all, n));
  const namedCas = named.filter((c) => c.x509.ca);
  for (const ca of namedCas) {
    if (renewCa) continue;
    const signed = signedBy(ca).map((l) => l.name);
    throw new CertsCaRefusedError(
      `${ca.name} is a certificate authority, and a CA is never renewed implicitly`,
      {
        hint: `to renew it and the ${signed.length} certificates it signed (${signed.join(', ') || 'none'}), run: bootkube certs renew ${ca.name} --renew-ca`,
      },
    );
  }
  if (renewCa && namedCas.length === 0) {
    throw new CertsSelectionError('--renew-ca renews only the CAs named with it, and none was named', {
      hint: `name one: ${cas.map((c) => c.name).join(', ')}`,
    });
  }

  const selected = new Map<TlsCertificate, Selected>();
  const skipped: Selection['skipped'] = [];
  for (const ca of namedCas) {
    checkCaKey(pki, ca);
    selected.set(ca, { cert: ca, reason: 'named' });
  }
  for (const ca of namedCas) {
    for (const leaf of signedBy(ca)) selected.set(leaf, { cert: leaf, reason: 'ca-renewed', ca });
  }
  const requested: Array<[TlsCertificate, RenewReason]> =
    names === 'all'
      ? leaves.map((l) => [l, 'all'])
      : named.filter((c) => !c.x509.ca).map((l) => [l, 'named']);
  for (const [leaf, reason] of requested) {
    if (selected.has(leaf)) continue;
    const ca = pki.issuerOf(leaf);
    const problem = !ca
      ? `${leaf.name}: no CA in tls/ signed it (issuer ${leaf.x509.issuer.replace(/\n/g, ', ')})`
      : !ca.keyPath
        ? `${leaf.name}: its CA ${ca.path} has no private key in the asset dir (a CA you brought without its key, or your own etcd PKI)`
        : undefined;
    if (problem && reason === 'all') {
      skipped.push({ name: leaf.name, why: problem });
      continue;
    }
    if (problem) {
      throw new CertsNoCaKeyError(problem, {
        hint: `issue a new certificate with the CA that signed it and replace ${leaf.path} and its key`,
      });
    }
    selected.set(leaf, { cert: leaf, reason, ca: ca! });
  }
  if (selected.size === 0) {
    throw new CertsNoCaKeyError(`nothing can be renewed: ${skipped.map((s) => s.why).join('; ')}`, {
      hint: 'renew these with the CA that signed them',
    });
  }
  const byName = (a: Selected, b: Selected) => a.cert.name.localeCompare(b.cert.name);
  const list = [...selected.values()];
  return {
    selected: [
      ...list.filter((s) => s.cert.x509.ca).sort(byName),
      ...list.filter((s) => !s.cert.x509.ca).sort(byName),
    ],
    skipped,
  };
}

/** `apiserver`, `tls/apiserver.crt` and `apiserver.crt` all name tls/apiserver.crt. */
function lookup(all: TlsCertificate[], name: string): TlsCertificate {
  const normal = name
    .replace(/^\.?\/?/, '')
    .replace(/^tls\//, '')
    .replace(/\.crt$/, '');
  const found = all.find((c) => c.name === normal);
  if (!found) {
    throw new CertsSelectionError(`no certificate named ${JSON.stringify(name)} in tls/`, {
      hint: `names: ${all.map((c) => c.name).join(', ')}`,
    });
  }
  return found;
}

function checkCaKey(pki: AssetPki, ca: TlsCertificate): void {
  if (!ca.keyPath) {
    throw new CertsNoCaKeyError(
      `${ca.name}: ${ca.path} has no private key beside it, so it cannot sign its renewal`,
      {
        hint: 'renew this CA with the tooling that holds its key',
      },
    );
  }
  if (pki.issuerOf(ca) || !ca.x509.checkIssued(ca.x509)) {
    throw new CertsNoCaKeyError(`${ca.name}: is not a self-signed root CA; bootkube renews only root CAs`, {
      hint: 'renew it with the CA that signed it',
    });
  }
}
