/**
 * The contract between render (and later certs renew / recover) and src/pki.
 */
import type { KeyType } from '../config/types.js';

export interface SubjectAltNames {
  dns: string[];
  ips: string[];
}

/** Everything needed to make the cluster's PKI. Paths are not read here: the caller passes PEM text. */
export interface PkiRequest {
  keyType: KeyType;
  /** The first master's node name: the kubelet client certificate is `system:node:<nodeName>`. */
  nodeName: string;
  /** The complete SAN list of the apiserver serving certificate (render computes it). */
  apiServerSans: SubjectAltNames;
  etcd:
    | { mode: 'none' }
    /** Make an etcd CA, server, peer and apiserver-etcd-client certificate; `sans` for server and peer. */
    | { mode: 'generate'; sans: SubjectAltNames }
    /** The user's own etcd CA and apiserver client certificate, copied after validation. */
    | { mode: 'external'; caPem: string; certPem: string; keyPem: string };
  /** The user's own cluster CA (bring your own CA); when absent a new one is made. */
  ca?: { certPem: string; keyPem: string };
  /** The clock: notBefore/notAfter are computed from it. */
  now: Date;
}

/** One file of the PKI, relative to the asset dir (always under `tls/`). */
export interface PkiFile {
  path: string;
  content: string;
  /** 0o600 for private keys, 0o644 for certificates and public keys. */
  mode: number;
}

/** What `--json` and the tests report about each certificate. */
export interface CertificateInfo {
  /** Stable name, e.g. `apiserver`, `etcd/server`. */
  name: string;
  /** Path of the certificate relative to the asset dir, e.g. `tls/apiserver.crt`. */
  path: string;
  /** RFC 4514-ish, as node:crypto's X509Certificate prints it, e.g. `CN=admin\nO=system:masters` joined by ', '. */
  subject: string;
  issuer: string;
  /** `DNS:name` and `IP Address:1.2.3.4` entries, as node:crypto prints them. */
  sans: string[];
  notBefore: string;
  notAfter: string;
  /** SHA-256 fingerprint, colon-separated upper-case hex (node:crypto's `fingerprint256`). */
  sha256Fingerprint: string;
  isCa: boolean;
  /** `serverAuth` and/or `clientAuth`; empty for CAs. */
  extendedKeyUsages: string[];
}

export interface PkiResult {
  files: PkiFile[];
  certificates: CertificateInfo[];
}
