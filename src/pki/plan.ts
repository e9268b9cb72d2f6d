/**
 * What the cluster's PKI consists of, as data: kubeadm's certificates with their subjects and
 * usages, in the order their files are written. Pure: generate.ts carries the plan out.
 */
import type { ExtendedKeyUsage } from './extensions.js';
import type { PkiRequest, SubjectAltNames } from './types.js';

export type CaName = 'ca' | 'front-proxy-ca' | 'etcd/ca';

interface Named {
  /** Stable name, e.g. `apiserver`, `etcd/server`. */
  name: string;
  /** Path of the files relative to the asset dir, without `.crt`/`.key`/`.pub`. */
  path: string;
}

/** A self-signed CA made here. */
export interface CaEntry extends Named {
  kind: 'ca';
  name: CaName;
  commonName: string;
}

/** A leaf certificate made here, signed by the CA `issuer`. */
export interface LeafEntry extends Named {
  kind: 'leaf';
  issuer: CaName;
  commonName: string;
  organizations: string[];
  usages: ExtendedKeyUsage[];
  sans: SubjectAltNames;
}

/** A CA the user brought: copied verbatim and, when it has a key, used to sign leaves. */
export interface ProvidedCaEntry extends Named {
  kind: 'provided-ca';
  name: CaName;
  certPem: string;
  keyPem?: string;
}

/** A leaf certificate and key the user brought, copied verbatim. */
export interface ProvidedLeafEntry extends Named {
  kind: 'provided-leaf';
  certPem: string;
  keyPem: string;
}

/** A bare key pair: a private key and its SPKI public key (the service-account token signing key). */
export interface KeyPairEntry extends Named {
  kind: 'key-pair';
}

export type PlanEntry = CaEntry | LeafEntry | ProvidedCaEntry | ProvidedLeafEntry | KeyPairEntry;

const NO_SANS: SubjectAltNames = { dns: [], ips: [] };
const CLIENT: ExtendedKeyUsage[] = ['clientAuth'];

/** The entries `req` asks for; a CA always comes before the leaves it signs. */
export function planPki(req: PkiRequest): PlanEntry[] {
  return [...clusterEntries(req), ...frontProxyEntries(), ...etcdEntries(req)];
}

/** Whether the entry needs a newly generated key. */
export function needsKey(entry: PlanEntry): entry is CaEntry | LeafEntry | KeyPairEntry {
  return entry.kind === 'ca' || entry.kind === 'leaf' || entry.kind === 'key-pair';
}

function clusterEntries(req: PkiRequest): PlanEntry[] {
  const ca: PlanEntry = req.ca
    ? { kind: 'provided-ca', name: 'ca', path: 'tls/ca', certPem: req.ca.certPem, keyPem: req.ca.keyPem }
    : { kind: 'ca', name: 'ca', path: 'tls/ca', commonName: 'kubernetes' };
  return [
    ca,
    leaf('apiserver', 'ca', 'kube-apiserver', [], ['serverAuth'], req.apiServerSans),
    leaf('apiserver-kubelet-client', 'ca', 'kube-apiserver-kubelet-client', ['system:masters']),
    leaf('admin', 'ca', 'kubernetes-admin', ['system:masters']),
    leaf('kubelet', 'ca', `system:node:${req.nodeName}`, ['system:nodes']),
    leaf('kube-controller-manager', 'ca', 'system:kube-controller-manager'),
    leaf('kube-scheduler', 'ca', 'system:kube-scheduler'),
    { kind: 'key-pair', name: 'service-account', path: 'tls/service-account' },
  ];
}

function frontProxyEntries(): PlanEntry[] {
  return [
    { kind: 'ca', name: 'front-proxy-ca', path: 'tls/front-proxy-ca', commonName: 'front-proxy-ca' },
    leaf('front-proxy-client', 'front-proxy-ca', 'front-proxy-client'),
  ];
}

function etcdEntries(req: PkiRequest): PlanEntry[] {
  const { etcd } = req;
  switch (etcd.mode) {
    case 'none':
      return [];
    case 'external':
      return [
        { kind: 'provided-ca', name: 'etcd/ca', path: 'tls/etcd/ca', certPem: etcd.caPem },
        {
          kind: 'provided-leaf',
          name: 'apiserver-etcd-client',
          path: 'tls/apiserver-etcd-client',
          certPem: etcd.certPem,
          keyPem: etcd.keyPem,
        },
      ];
    case 'generate': {
      // kubeadm gives etcd's server and peer certificates both usages: peers dial each other.
      const both: ExtendedKeyUsage[] = ['serverAuth', 'clientAuth'];
      return [
        { kind: 'ca', name: 'etcd/ca', path: 'tls/etcd/ca', commonName: 'etcd-ca' },
        leaf('etcd/server', 'etcd/ca', req.nodeName, [], both, etcd.sans),
        leaf('etcd/peer', 'etcd/ca', req.nodeName, [], both, etcd.sans),
        leaf('apiserver-etcd-client', 'etcd/ca', 'kube-apiserver-etcd-client'),
      ];
    }
  }
}

function leaf(
  name: string,
  issuer: CaName,
  commonName: string,
  organizations: string[] = [],
  usages: ExtendedKeyUsage[] = CLIENT,
  sans: SubjectAltNames = NO_SANS,
): LeafEntry {
  return { kind: 'leaf', name, path: `tls/${name}`, issuer, commonName, organizations, usages, sans };
}
