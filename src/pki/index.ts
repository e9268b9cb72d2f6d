/**
 * The PKI of a bootkube cluster: generating kubeadm's certificates and keys, validating what a user
 * brings, and checking that an asset dir's tls/ files fit together.
 */
export type { CertificateInfo, PkiFile, PkiRequest, PkiResult, SubjectAltNames } from './types.js';
export * from './errors.js';
export { generatePki } from './generate.js';
export { FLAG_SOURCES, type PkiSources } from './provided.js';
export {
  generateKey,
  loadPrivateKey,
  readPrivateKey,
  privateKeyToPem,
  publicKeyToPem,
  type KeyPair,
} from './keys.js';
export {
  caValidity,
  issue,
  issuerFrom,
  leafValidity,
  selfSign,
  BACKDATE_MS,
  CA_VALIDITY_DAYS,
  LEAF_VALIDITY_DAYS,
  type CertificateTemplate,
  type Issuer,
  type Validity,
} from './certificate.js';
export type { ExtendedKeyUsage } from './extensions.js';
export { describeCertificate, loadCertificate } from './inspect.js';
export {
  checkCa,
  checkValidAt,
  keyMatches,
  keyMatchesCertificate,
  verifyChain,
  verifyPkiFiles,
} from './verify.js';
