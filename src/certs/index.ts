/**
 * Day-2 certificate work on an asset dir: what every certificate is and when it expires
 * (`certs check-expiration`), and renewing them from the asset dir's own CAs (`certs renew`).
 */
export * from './errors.js';
export {
  expiry,
  expiresWithin,
  parseDuration,
  formatDate,
  formatRemaining,
  WARNING_DAYS,
  type Expiry,
  type ExpiryState,
  type HasNotAfter,
} from './expiry.js';
export { inventory, type CertificateEntry, type CertificateSource, type Inventory } from './inventory.js';
export { renew, type RenewedCertificate, type RenewOptions, type RenewResult } from './renew.js';
export type { RenewReason } from './select.js';
export { checkExpiration, type CheckedCertificate, type ExpirationReport } from './check.js';
export { formatExpirationReport, formatRenewal, formatTable } from './report.js';
export { formatClusterExpirationReport } from './report.js';
export {
  checkClusterExpiration,
  type ClusterCertificate,
  type ClusterExpirationReport,
} from './cluster-check.js';
export { formatClusterRenewal } from './report.js';
export { renewCluster, type ClusterRenewOptions, type ClusterRenewResult } from './cluster-renew.js';
