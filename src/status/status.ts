/**
 * `bootkube status` as a library call: one look at a running cluster through its kubeconfig — the
 * API's health and etcd's as the API reports it, every master with its control-plane pods and
 * active checkpoints, the DaemonSets and Deployments, and when the served certificate and those in
 * the control plane's Secrets expire — and whether anything is unhealthy.
 */
import type { V1DaemonSet, V1Deployment, V1Node, V1Pod } from '@kubernetes/client-node';
import { checkClusterExpiration, type ClusterCertificate } from '../certs/cluster-check.js';
import { formatDate } from '../certs/expiry.js';
import { NAMESPACE } from '../render/constants.js';
import { getJson, type Cluster } from './connect.js';
import {
  assessControlPlane,
  type MasterStatus,
  type PodStatus,
  type WorkloadStatus,
} from './control-plane.js';
import { apiHealth, type ApiHealth } from './health.js';

export interface StatusReport {
  cluster: string;
  kubeconfig: string;
  checkedAt: string;
  /** False when anything in `problems`: the command exits 1. */
  healthy: boolean;
  api: ApiHealth;
  masters: MasterStatus[];
  /** Control-plane pods on no master. */
  elsewhere: PodStatus[];
  workloads: WorkloadStatus[];
  certificates: {
    /** The certificate the API serves, when a handshake completed. */
    served?: ClusterCertificate;
    /** Every distinct certificate in the Secrets, the served one and the kubeconfig's CA (as `certs check-expiration --kubeconfig`). */
    all: ClusterCertificate[];
  };
  /** Each a sentence: what is unhealthy. */
  problems: string[];
  /** Each a sentence: worth knowing, not unhealthy (a rollout under way, a certificate under 30 days). */
  warnings: string[];
}

/** Looks at `cluster` at `now`. Throws ClusterKubeconfigError for a kubeconfig the API refuses; an API that does not answer is a problem in the report. */
export async function clusterStatus(cluster: Cluster, now: Date): Promise<StatusReport> {
  const api = await apiHealth(cluster);
  const base = {
    cluster: cluster.server.origin,
    kubeconfig: cluster.kubeconfig,
    checkedAt: now.toISOString(),
  };
  if (!api.reachable) {
    return {
      ...base,
      healthy: false,
      api,
      masters: [],
      elsewhere: [],
      workloads: [],
      certificates: { all: [] },
      problems: [
        `the API at ${cluster.server.origin} does not answer (${api.error}): nothing else can be seen`,
      ],
      warnings: [],
    };
  }
  const list = async <T>(path: string, what: string) =>
    ((await getJson<{ items?: T[] }>(cluster, path, what)).items ?? []) as T[];
  const [nodes, pods, daemonSets, deployments] = await Promise.all([
    list<V1Node>('/api/v1/nodes', 'list nodes'),
    list<V1Pod>(`/api/v1/namespaces/${NAMESPACE}/pods`, `list the pods of ${NAMESPACE}`),
    list<V1DaemonSet>(
      `/apis/apps/v1/namespaces/${NAMESPACE}/daemonsets`,
      `list the DaemonSets of ${NAMESPACE}`,
    ),
    list<V1Deployment>(
      `/apis/apps/v1/namespaces/${NAMESPACE}/deployments`,
      `list the Deployments of ${NAMESPACE}`,
    ),
  ]);
  const plane = assessControlPlane({ nodes, pods, daemonSets, deployments });
  const certs = await checkClusterExpiration(cluster, now);
  const problems: string[] = [];
  if (!api.ready) {
    const failed = api.checks.filter((c) => !c.ok).map((c) => c.name);
    problems.push(
      `the API is not ready: /readyz answered ${api.status}${failed.length ? ` (failed: ${failed.join(', ')})` : ''}`,
    );
  }
  if (api.etcd.ok === false) problems.push(`etcd is unhealthy, as the API reports it (${api.etcd.from})`);
  problems.push(...plane.problems);
  for (const c of certs.certificates.filter((x) => x.expiry.state === 'expired'))
    problems.push(`certificate ${c.name} (${c.locations[0]}) expired on ${formatDate(c.expiry.notAfter)}`);
  const served = certs.certificates.find((c) => c.locations.some((l) => l.startsWith('served by ')));
  if (!served)
    problems.push(
      `no TLS handshake with ${cluster.server.origin}: its serving certificate could not be read`,
    );
  const warnings = [...plane.warnings, ...certs.warnings.filter((w) => !/ expired on /.test(w))];
  return {
    ...base,
    healthy: problems.length === 0,
    api,
    masters: plane.masters,
    elsewhere: plane.elsewhere,
    workloads: plane.workloads,
    certificates: { ...(served ? { served } : {}), all: certs.certificates },
    problems,
    warnings,
  };
}
