/**
 * A running cluster seen through a kubeconfig: the connection shared by every command that talks to
 * one (`status`, `certs … --kubeconfig`), and `bootkube status`.
 */
export * from './errors.js';
export { openCluster, getJson, expectOk, refuseBadKubeconfig, type Cluster } from './connect.js';
export { servedCertificate, type ServedCertificate } from './serving.js';
