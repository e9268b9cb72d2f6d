/**
 * A still-running apiserver as a source (bootkube#112: only the controller-manager and scheduler
 * were lost). The kubeconfig is read by @kubernetes/client-node, so every credential form kubectl
 * accepts works (certificates, tokens, exec plugins); objects are fetched as raw JSON so manifests/
 * holds them exactly as the API serves them.
 */
import https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { NAMESPACE } from '../../render/constants.js';
import { RecoveryFlagsError, RecoverySourceUnreachableError } from '../errors.js';
import { byName, type KubeObject, type SourceSnapshot } from '../types.js';

const LISTS: ReadonlyArray<readonly [string, string, string]> = [
  ['apps/v1', 'DaemonSet', `/apis/apps/v1/namespaces/${NAMESPACE}/daemonsets`],
  ['apps/v1', 'Deployment', `/apis/apps/v1/namespaces/${NAMESPACE}/deployments`],
  ['v1', 'Secret', `/api/v1/namespaces/${NAMESPACE}/secrets`],
  ['v1', 'ConfigMap', `/api/v1/namespaces/${NAMESPACE}/configmaps`],
];

/** The kube-system snapshot served by the apiserver the kubeconfig names. */
export async function readApiServer(kubeconfig: string): Promise<SourceSnapshot> {
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(kubeconfig);
  } catch (cause) {
    throw new RecoveryFlagsError(`--kubeconfig ${kubeconfig}: ${(cause as Error).message.split('\n')[0]}`, {
      hint: 'give a kubeconfig that kubectl can use',
      cause,
    });
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster)
    throw new RecoveryFlagsError(`--kubeconfig ${kubeconfig}: its current context names no cluster`);
  const server = new URL(cluster.server);
  const description = `the apiserver at ${server.origin}`;
  const lists = await Promise.all(
    LISTS.map(async ([apiVersion, kind, path]) => {
      const items = (await getJson(kc, server, path, description)).items ?? [];
      // List items carry no apiVersion/kind; manifests/ needs them.
      return items.map((o: KubeObject) => ({ ...o, apiVersion, kind }) as KubeObject);
    }),
  );
  const [daemonSets, deployments, secrets, configMaps] = lists as [
    KubeObject[],
    KubeObject[],
    KubeObject[],
    KubeObject[],
  ];
  return {
    description,
    workloads: [...daemonSets, ...deployments],
    pods: [],
    secrets: byName(secrets),
    configMaps: byName(configMaps),
    objectCount: lists.reduce((n, l) => n + l.length, 0),
  };
}

async function getJson(kc: KubeConfig, server: URL, path: string, description: string): Promise<any> {
  const opts: https.RequestOptions = {
    method: 'GET',
    hostname: server.hostname.replace(/^\[|\]$/g, ''),
    port: server.port || 443,
    path,
    headers: { Accept: 'application/json', 'User-Agent': 'bootkube-recover' },
    timeout: 15_000,
  };
  await kc.applyToHTTPSOptions(opts);
  const fail = (detail: string, hint: string, cause?: unknown): never => {
    throw new RecoverySourceUnreachableError(`cannot read ${description}: ${detail}`, { hint, cause });
  };
  const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = https.request(opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 15 s')));
    req.on('error', reject);
    req.end();
  }).catch((err: Error & { code?: string }) =>
    fail(
      err.message,
      /certificate|self.signed|SSL|TLS/i.test(`${err.code} ${err.message}`)
        ? "the apiserver's certificate is not trusted by the kubeconfig's CA: check certificate-authority-data"
        : "check that the apiserver runs and the kubeconfig's server is right",
      err,
    ),
  );
  if (answer.status === 401 || answer.status === 403)
    fail(
      `GET ${path} answered ${answer.status}`,
      'use an admin kubeconfig (system:masters) that may read kube-system Secrets',
    );
  if (answer.status !== 200)
    fail(`GET ${path} answered ${answer.status}`, 'check that the apiserver is healthy');
  try {
    return JSON.parse(answer.body);
  } catch (cause) {
    return fail(
      `GET ${path} did not answer JSON`,
      'check the kubeconfig points at a Kubernetes apiserver',
      cause,
    );
  }
}
