/**
 * A running cluster, reached through a kubeconfig: its current context read (src/kubeconfig), a
 * client on it (bootstrap's ApiClient), and the first request classified, so that a kubeconfig the
 * API refuses (a CA that does not verify the serving certificate, credentials it does not accept)
 * is bad input and an API that does not answer is a finding about the cluster.
 */
import { ApiClient, answerMessage, type Answer } from '../bootstrap/client.js';
import type { ClusterAccess } from '../checkpointer/sources/api.js';
import { readKubeconfig, type KubeconfigContext } from '../kubeconfig/index.js';
import { ClusterApiError, ClusterKubeconfigError } from './errors.js';

export interface Cluster {
  /** The kubeconfig as the user named it. */
  kubeconfig: string;
  /** The API server URL of its current context. */
  server: URL;
  /** The CA the kubeconfig trusts (PEM), if it names one. */
  ca?: string;
  client: ApiClient;
  close(): void;
}

/** OpenSSL's codes for a serving certificate that does not verify against the trusted CA. */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Reads `file` (named by `label` in errors) and opens a client on its current context. Throws ClusterKubeconfigError. */
export async function openCluster(file: string | undefined, label = '--kubeconfig'): Promise<Cluster> {
  if (!file) {
    throw new ClusterKubeconfigError(`missing ${label}`, {
      hint: `give the cluster's admin kubeconfig, e.g. ${label} assets/auth/kubeconfig`,
    });
  }
  let kc: KubeconfigContext;
  try {
    kc = await readKubeconfig(file);
  } catch (cause) {
    const e = cause as Error & { cause?: NodeJS.ErrnoException };
    const code = e.cause?.code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'is a directory'
            : e.message.replace(/^kubeconfig \S+:? ?/, '');
    throw new ClusterKubeconfigError(`${label} ${file}: ${why}`, {
      hint: "give the cluster's admin kubeconfig (assets/auth/kubeconfig)",
      cause,
    });
  }
  if (!kc.cert && !kc.token) {
    throw new ClusterKubeconfigError(
      `${label} ${file}: its current user has no client certificate or token`,
      {
        hint: "give the cluster's admin kubeconfig (assets/auth/kubeconfig)",
      },
    );
  }
  const access: ClusterAccess = {
    server: kc.server,
    tls: { ca: kc.ca, cert: kc.cert, key: kc.key, insecure: kc.insecureSkipTlsVerify },
    headers: kc.token ? { Authorization: `Bearer ${kc.token}` } : {},
  };
  const client = new ApiClient(access);
  return { kubeconfig: file, server: kc.server, ca: kc.ca, client, close: () => client.close() };
}

/**
 * Throws ClusterKubeconfigError when `answer` says the kubeconfig itself is wrong: the serving
 * certificate does not verify against its CA, or the API refuses its credentials (401, 403).
 */
export function refuseBadKubeconfig(cluster: Cluster, answer: Answer, what: string): void {
  const where = `the API at ${cluster.server.origin}`;
  const code = (answer.error as NodeJS.ErrnoException | undefined)?.code;
  if (answer.status === 0 && code && UNTRUSTED.has(code)) {
    throw new ClusterKubeconfigError(
      `--kubeconfig ${cluster.kubeconfig}: ${where} serves a certificate its CA does not verify (${code})`,
      { hint: "give the kubeconfig of this cluster, with this cluster's CA" },
    );
  }
  if (answer.status === 401) {
    throw new ClusterKubeconfigError(
      `--kubeconfig ${cluster.kubeconfig}: ${where} does not accept its credentials (401 Unauthorized)`,
      { hint: "give the cluster's admin kubeconfig (assets/auth/kubeconfig)" },
    );
  }
  if (answer.status === 403) {
    throw new ClusterKubeconfigError(
      `--kubeconfig ${cluster.kubeconfig}: its user may not ${what} (403 Forbidden)`,
      {
        hint: "give the cluster's admin kubeconfig (assets/auth/kubeconfig), whose user is in system:masters",
      },
    );
  }
}

/** GET `path` as JSON; a refused kubeconfig throws ClusterKubeconfigError, any other failure ClusterApiError. */
export async function getJson<T = any>(cluster: Cluster, path: string, what: string): Promise<T> {
  return expectOk(cluster, await cluster.client.request<T>('GET', path), what).body;
}

/** `answer` when it is a 2xx; else throws as getJson does, naming `what` could not be done. */
export function expectOk<T>(cluster: Cluster, answer: Answer<T>, what: string): Answer<T> {
  refuseBadKubeconfig(cluster, answer, what);
  if (answer.status >= 200 && answer.status < 300) return answer;
  throw new ClusterApiError(
    `cannot ${what}: the API at ${cluster.server.origin} answered ${answerMessage(answer)}`,
    {
      hint:
        answer.status === 0
          ? 'is the control plane up? `bootkube status --kubeconfig …` says what runs'
          : 'see the apiserver logs',
    },
  );
}
