/**
 * The API as a pod source and as the fetcher of what checkpointed pods reference. The checkpointer
 * authenticates as the node, with the kubelet's kubeconfig (DESIGN.md §6): the Node authorizer
 * lets it list the pods bound to this node (field selector `spec.nodeName`, which newer
 * apiservers require of nodes), read the Secrets and ConfigMaps those pods use, and request
 * tokens bound to them. Lists are quorum reads (no `resourceVersion=0`): a watch cache can be stale.
 * v0.14 listed only its own namespace and so garbage-collected checkpoints of pods elsewhere
 * whenever the API answered (reference §10); by default every namespace is listed here.
 */
import { readKubeconfig, type KubeconfigContext } from '../../kubeconfig/index.js';
import type { V1Pod, V1PodList, V1ServiceAccountTokenProjection } from '@kubernetes/client-node';
import { PodSourceError } from '../errors.js';
import type { IssuedToken, ObjectData, ObjectFetcher, PodListResult, PodSource } from '../types.js';
import { httpsJson, type TlsMaterial } from './https-json.js';

/** Where the API is and how to authenticate to it, from a kubeconfig. */
export interface ClusterAccess {
  server: URL;
  tls: TlsMaterial;
  headers: Record<string, string>;
}

/** Reads a kubeconfig's current context into ClusterAccess. Throws PodSourceError if it has no usable cluster. */
export async function loadClusterAccess(kubeconfigPath: string): Promise<ClusterAccess> {
  let kc: KubeconfigContext;
  try {
    kc = await readKubeconfig(kubeconfigPath);
  } catch (cause) {
    throw new PodSourceError(`cannot load kubeconfig ${kubeconfigPath}: ${(cause as Error).message}`, {
      hint: 'pass --kubeconfig with the node kubelet kubeconfig',
      cause,
    });
  }
  return {
    server: kc.server,
    tls: { ca: kc.ca, cert: kc.cert, key: kc.key, insecure: kc.insecureSkipTlsVerify },
    headers: kc.token ? { Authorization: `Bearer ${kc.token}` } : {},
  };
}

export interface ApiSourceOptions {
  access: ClusterAccess;
  nodeName: string;
  /** Namespaces to list; every namespace when omitted. */
  namespaces?: string[];
  timeoutMs?: number;
  clock?: () => number;
}

function url(access: ClusterAccess, path: string): URL {
  return new URL(`${access.server.pathname.replace(/\/$/, '')}${path}`, access.server);
}

/** The pods bound to this node, as the API lists them now. */
export function apiPodSource(opts: ApiSourceOptions): PodSource {
  const clock = opts.clock ?? Date.now;
  const selector = encodeURIComponent(`spec.nodeName=${opts.nodeName}`);
  const paths = opts.namespaces?.length
    ? opts.namespaces.map(
        (ns) => `/api/v1/namespaces/${encodeURIComponent(ns)}/pods?fieldSelector=${selector}`,
      )
    : [`/api/v1/pods?fieldSelector=${selector}`];
  return {
    name: 'api',
    async list(signal): Promise<PodListResult> {
      try {
        const lists = await Promise.all(
          paths.map((p) =>
            httpsJson<V1PodList>(url(opts.access, p), {
              tls: opts.access.tls,
              headers: opts.access.headers,
              timeoutMs: opts.timeoutMs ?? 10_000,
              signal,
            }),
          ),
        );
        return { state: 'ok', pods: lists.flatMap((l) => l?.items ?? []), observedAt: clock() };
      } catch (err) {
        return { state: 'unknown', reason: (err as Error).message };
      }
    },
  };
}

/** Secrets, ConfigMaps and bound tokens through the API. Throws on any failure but NotFound. */
export function apiObjectFetcher(opts: {
  access: ClusterAccess;
  timeoutMs?: number;
  clock?: () => number;
}): ObjectFetcher {
  const base = { tls: opts.access.tls, headers: opts.access.headers, timeoutMs: opts.timeoutMs ?? 10_000 };
  const clock = opts.clock ?? Date.now;
  const ns = (namespace: string) => `/api/v1/namespaces/${encodeURIComponent(namespace)}`;
  return {
    async secret(namespace, name, signal): Promise<ObjectData> {
      const s = await httpsJson<{ data?: Record<string, string> }>(
        url(opts.access, `${ns(namespace)}/secrets/${encodeURIComponent(name)}`),
        {
          ...base,
          signal,
          allowNotFound: true,
        },
      );
      return s && decode(s.data, 'base64');
    },
    async configMap(namespace, name, signal): Promise<ObjectData> {
      const cm = await httpsJson<{ data?: Record<string, string>; binaryData?: Record<string, string> }>(
        url(opts.access, `${ns(namespace)}/configmaps/${encodeURIComponent(name)}`),
        { ...base, signal, allowNotFound: true },
      );
      return cm && { ...decode(cm.data, 'utf8'), ...decode(cm.binaryData, 'base64') };
    },
    async token(pod: V1Pod, projection: V1ServiceAccountTokenProjection, signal): Promise<IssuedToken> {
      const sa = pod.spec?.serviceAccountName || 'default';
      const body = {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {
          ...(projection.audience ? { audiences: [projection.audience] } : {}),
          expirationSeconds: projection.expirationSeconds ?? 3600,
          // NodeRestriction: a node may only request tokens bound to a pod on it.
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, uid: pod.metadata?.uid },
        },
      };
      const tr = await httpsJson<{ status?: { token?: string; expirationTimestamp?: string } }>(
        url(
          opts.access,
          `${ns(pod.metadata?.namespace ?? '')}/serviceaccounts/${encodeURIComponent(sa)}/token`,
        ),
        { ...base, method: 'POST', body, signal },
      );
      if (!tr?.status?.token) throw new PodSourceError(`TokenRequest for ${sa} returned no token`);
      const exp = Date.parse(tr.status.expirationTimestamp ?? '');
      return {
        token: tr.status.token,
        expiresAt: Number.isNaN(exp) ? clock() + (projection.expirationSeconds ?? 3600) * 1000 : exp,
      };
    },
  };
}

function decode(data: Record<string, string> | undefined, encoding: BufferEncoding): Record<string, Buffer> {
  return Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, encoding)]));
}
