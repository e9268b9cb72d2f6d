/**
 * The kubelet's `/pods` on its authenticated port (reference §7.1): the pods it means to run, API
 * pods and static pods alike, as it last heard of them. It can be stale (bootkube#262, #267: the
 * kubelet keeps listing pods the API has long deleted), so the checkpointer only uses it to admit
 * new pods, never to decide that something runs or is gone. The read-only port 10255 is off by
 * default on kubelets configured by file, so only 10250 is used, with a client certificate; the
 * kubelet's serving certificate is self-signed unless serving certificates are rotated, so it is
 * verified only when a CA is given.
 */
import type { V1PodList } from '@kubernetes/client-node';
import type { PodListResult, PodSource } from '../types.js';
import { HttpRequestError, httpsJson, type TlsMaterial } from './https-json.js';

export interface KubeletSourceOptions {
  /** Default 127.0.0.1: the checkpointer runs with hostNetwork. */
  host?: string;
  /** Default 10250. */
  port?: number;
  /** Client certificate and key (the node's, from its kubeconfig); `ca` to verify the kubelet, else not verified. */
  tls: TlsMaterial;
  headers?: Record<string, string>;
  timeoutMs?: number;
  clock?: () => number;
}

/** The kubelet's `/pods` as a PodSource. An error, a timeout or a refusal is `unknown`. */
export function kubeletPodSource(opts: KubeletSourceOptions): PodSource {
  const clock = opts.clock ?? Date.now;
  const host = opts.host ?? '127.0.0.1';
  const target = new URL(`https://${host.includes(':') ? `[${host}]` : host}:${opts.port ?? 10250}/pods`);
  const tls: TlsMaterial = { ...opts.tls, insecure: opts.tls.insecure ?? !opts.tls.ca };
  return {
    name: 'kubelet',
    async list(signal): Promise<PodListResult> {
      try {
        const list = await httpsJson<V1PodList>(target, {
          tls,
          headers: opts.headers,
          timeoutMs: opts.timeoutMs ?? 5_000,
          signal,
        });
        return { state: 'ok', pods: list?.items ?? [], observedAt: clock() };
      } catch (err) {
        const status = err instanceof HttpRequestError ? err.status : 0;
        const hint =
          status === 401 || status === 403
            ? ' (the node identity needs get on nodes/proxy for its own node)'
            : '';
        return { state: 'unknown', reason: `${(err as Error).message}${hint}` };
      }
    },
  };
}
