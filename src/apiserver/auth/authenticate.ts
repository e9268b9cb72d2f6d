/**
 * Client-certificate authentication as kube-apiserver's x509 authenticator does it: user = CN,
 * groups = O plus `system:authenticated`. TLS accepts any certificate (the server asks with
 * rejectUnauthorized: false) and the verdict is made here, so a certificate from another CA gets a
 * 401 Status a client can log, not a handshake failure it cannot explain. No certificate at all is
 * the anonymous user, which authorization limits to the health and version endpoints.
 */
import { Errors } from '../status.js';

export interface UserInfo {
  name: string;
  groups: string[];
}

/** What the TLS edge saw of the client's certificate; server.ts fills it, tests may make one up. */
export interface PeerCertificate {
  /** Verified against the client CA (chain, validity dates, purpose). */
  authorized: boolean;
  /** OpenSSL's reason when not authorized (`UNABLE_TO_VERIFY_LEAF_SIGNATURE`, `CERT_HAS_EXPIRED`, …). */
  error?: string;
  subject: { CN?: string | string[]; O?: string | string[] };
  /** Extended key usage OIDs, when the certificate has the extension. */
  extKeyUsage?: string[];
}

export const ANONYMOUS: UserInfo = { name: 'system:anonymous', groups: ['system:unauthenticated'] };
export const MASTERS_GROUP = 'system:masters';
export const NODES_GROUP = 'system:nodes';
const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';

function list(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/**
 * The user a request acts as: anonymous without a certificate, the certificate's subject with a
 * verified one, and a 401 for a certificate that does not verify (union.NewFailOnError: an
 * authenticator's error is final, anonymous is not tried).
 */
export function authenticate(peer: PeerCertificate | undefined): UserInfo {
  if (!peer) return ANONYMOUS;
  if (!peer.authorized) throw Errors.unauthorized();
  if (peer.extKeyUsage && !peer.extKeyUsage.includes(CLIENT_AUTH_OID)) throw Errors.unauthorized();
  const cn = list(peer.subject.CN)[0];
  if (!cn) throw Errors.unauthorized();
  const groups = list(peer.subject.O).filter((g) => g !== 'system:authenticated');
  return { name: cn, groups: [...groups, 'system:authenticated'] };
}

/** The node a user is, as nodeidentifier.NodeIdentity reads it: `system:node:<name>` in `system:nodes`. */
export function nodeIdentity(user: UserInfo): { isNode: boolean; nodeName: string } {
  if (!user.groups.includes(NODES_GROUP)) return { isNode: false, nodeName: '' };
  const prefix = 'system:node:';
  if (!user.name.startsWith(prefix)) return { isNode: false, nodeName: '' };
  return { isNode: true, nodeName: user.name.slice(prefix.length) };
}
