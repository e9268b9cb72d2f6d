/**
 * What a renewal must keep of a certificate — subject, SANs, key usages, extended key usages, CA or
 * not — read from the certificate itself, and the check that a reissued certificate kept all of it.
 * src/pki issues the O…, CN subjects and the extensions kubeadm writes; a certificate with anything
 * else (an extra subject attribute, an email SAN, another usage) is refused rather than changed.
 */
import type { X509Certificate } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import * as der from '../pki/der.js';
import { readExtensions, readKeyUsage, type ExtendedKeyUsage } from '../pki/extensions.js';
import type { SubjectAltNames } from '../pki/index.js';
import { CertsCannotKeepError } from './errors.js';

export interface CertificateShape {
  /** As node:crypto prints it, one attribute a line. */
  subject: string;
  organizations: string[];
  commonName: string;
  sans: SubjectAltNames;
  usages: ExtendedKeyUsage[];
  /** Bit numbers of the keyUsage extension. */
  keyUsage: number[];
  isCa: boolean;
}

const KEY_USAGE_NAMES = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
];
const EKU_BY_OID: Record<string, ExtendedKeyUsage> = {
  [der.OID.serverAuth]: 'serverAuth',
  [der.OID.clientAuth]: 'clientAuth',
};

/** The shape of `cert` (`source` names it in errors); CERTS_CANNOT_KEEP if src/pki could not issue it again. */
export function shapeOf(cert: X509Certificate, source: string): CertificateShape {
  const cannot = (what: string) =>
    new CertsCannotKeepError(`${source}: cannot be renewed keeping ${what}`, {
      hint: 'bootkube reissues only the subjects (O…, CN) and extensions it makes itself: renew this one with the tooling that made it',
    });
  const { organizations, commonName } = readSubject(cert, cannot);
  const extensions = readExtensions(cert.raw);
  const sanExt = extensions.get(der.OID.subjectAltName);
  const sans: SubjectAltNames = { dns: [], ips: [] };
  for (const name of sanExt ? der.children(der.fromDer(sanExt.value)) : []) {
    if (der.isContextTag(name, 2)) sans.dns.push(der.content(name).toString('latin1'));
    else if (der.isContextTag(name, 7))
      sans.ips.push(ipaddr.fromByteArray([...der.content(name)]).toString());
    else throw cannot('its subject alternative names (only DNS names and IP addresses can be reissued)');
  }
  const ekuExt = extensions.get(der.OID.extKeyUsage);
  const usages = (ekuExt ? der.children(der.fromDer(ekuExt.value)) : []).map((node) => {
    const usage = EKU_BY_OID[der.readOid(node)];
    if (!usage)
      throw cannot(
        `its extended key usage ${der.readOid(node)} (only serverAuth and clientAuth can be reissued)`,
      );
    return usage;
  });
  const kuExt = extensions.get(der.OID.keyUsage);
  const keyUsage = kuExt ? [...readKeyUsage(kuExt)].sort((a, b) => a - b) : [];
  return { subject: cert.subject, organizations, commonName, sans, usages, keyUsage, isCa: cert.ca };
}

/** Throws CERTS_CANNOT_KEEP naming what differs when `renewed` did not keep the shape of `old`. */
export function checkKept(old: CertificateShape, renewed: CertificateShape, source: string): void {
  const differ = (what: string, a: string, b: string) => {
    if (a === b) return;
    throw new CertsCannotKeepError(
      `${source}: renewing would change its ${what} from ${a || '(none)'} to ${b || '(none)'}`,
      {
        hint: 'renew it with the tooling that made it, or render the asset dir again',
      },
    );
  };
  const list = (xs: readonly (string | number)[]) => [...xs].map(String).sort().join(', ');
  const bits = (xs: number[]) => xs.map((b) => KEY_USAGE_NAMES[b] ?? `bit ${b}`).join(', ');
  differ('subject', old.subject.replace(/\n/g, ', '), renewed.subject.replace(/\n/g, ', '));
  differ('DNS names', list(old.sans.dns), list(renewed.sans.dns));
  differ('IP addresses', list(old.sans.ips), list(renewed.sans.ips));
  differ('extended key usages', list(old.usages), list(renewed.usages));
  differ('key usages', bits(old.keyUsage), bits(renewed.keyUsage));
  differ('CA flag', String(old.isCa), String(renewed.isCa));
}

/** O attributes then one CN, each its own RDN: the subjects src/pki writes (Go's pkix.Name order). */
function readSubject(
  cert: X509Certificate,
  cannot: (what: string) => Error,
): { organizations: string[]; commonName: string } {
  const tbs = der.children(der.children(der.fromDer(cert.raw))[0]!);
  const versioned = der.isContextTag(tbs[0]!, 0) ? 1 : 0;
  const rdns = der.children(tbs[versioned + 4]!);
  const organizations: string[] = [];
  let commonName: string | undefined;
  for (const rdn of rdns) {
    const atvs = der.children(rdn);
    if (atvs.length !== 1) throw cannot('its subject (a multi-valued RDN)');
    const [type, value] = der.children(atvs[0]!);
    const oid = der.readOid(type!);
    const text = der.content(value!).toString('utf8');
    if (oid === der.OID.organizationName && commonName === undefined) organizations.push(text);
    else if (oid === der.OID.commonName && commonName === undefined) commonName = text;
    else throw cannot(`its subject ${cert.subject.replace(/\n/g, ', ')} (only O… then CN can be reissued)`);
  }
  if (commonName === undefined) throw cannot('its subject (it has no CN)');
  return { organizations, commonName };
}
