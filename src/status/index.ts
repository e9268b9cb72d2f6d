/**
 * A running cluster seen through a kubeconfig: the connection shared by every command that talks to
 * one (`status`, `certs … --kubeconfig`), and `bootkube status`.
 */
export * from './errors.js';
export { openCluster, getJson, expectOk, refuseBadKubeconfig, type Cluster } from './connect.js';
export { servedCertificate, type ServedCertificate } from './serving.js';
export { clusterStatus, type StatusReport } from './status.js';
export { formatStatus } from './report.js';
export { apiHealth, parseChecks, type ApiHealth, type HealthCheck } from './health.js';
export {
  assessControlPlane,
  COMPONENTS,
  type CheckpointState,
  type ControlPlaneStatus,
  type MasterStatus,
  type PodStatus,
  type WorkloadStatus,
} from './control-plane.js';
