/**
 * The API's own health as it reports it: `/readyz?verbose` (one `[+]name ok` / `[-]name failed`
 * line per check), and etcd's health from the checks whose names start with `etcd` (kube-apiserver
 * has `etcd` and, since 1.26, `etcd-readiness`), else from `/livez/etcd`.
 */
import type { Answer } from '../bootstrap/client.js';
import type { Cluster } from './connect.js';
import { refuseBadKubeconfig } from './connect.js';

export interface HealthCheck {
  name: string;
  ok: boolean;
}

export interface ApiHealth {
  /** The API answered at all (any HTTP status). */
  reachable: boolean;
  /** Why it did not, when it did not. */
  error?: string;
  /** /readyz answered 200. */
  ready: boolean;
  /** The HTTP status of /readyz?verbose (0 when no answer came). */
  status: number;
  checks: HealthCheck[];
  /** etcd as the API sees it; undefined when it could not tell. */
  etcd: { ok: boolean | undefined; from: string };
}

/** Parses a verbose health answer's check lines. */
export function parseChecks(text: string): HealthCheck[] {
  const checks: HealthCheck[] = [];
  for (const line of text.split('\n')) {
    const m = /^\[([+-])\]([^\s]+)/.exec(line.trim());
    if (m) checks.push({ name: m[2]!, ok: m[1] === '+' });
  }
  return checks;
}

/** Asks the API for /readyz?verbose (and /livez/etcd when readyz lists no etcd check). Throws only for a refused kubeconfig. */
export async function apiHealth(cluster: Cluster): Promise<ApiHealth> {
  const readyz = await cluster.client.request<string>('GET', '/readyz?verbose', { timeoutMs: 10_000 });
  refuseBadKubeconfig(cluster, readyz, 'read /readyz');
  if (readyz.status === 0) {
    return {
      reachable: false,
      error: readyz.error?.message ?? 'no answer',
      ready: false,
      status: 0,
      checks: [],
      etcd: { ok: undefined, from: 'the API did not answer' },
    };
  }
  const checks = parseChecks(text(readyz));
  const etcdChecks = checks.filter((c) => c.name.startsWith('etcd'));
  let etcd: ApiHealth['etcd'];
  if (etcdChecks.length > 0) {
    etcd = {
      ok: etcdChecks.every((c) => c.ok),
      from: `/readyz check${etcdChecks.length > 1 ? 's' : ''} ${etcdChecks.map((c) => c.name).join(', ')}`,
    };
  } else {
    const livez = await cluster.client.request('GET', '/livez/etcd', { timeoutMs: 10_000 });
    etcd =
      livez.status === 0 || livez.status === 404
        ? { ok: undefined, from: '/livez/etcd did not answer' }
        : { ok: livez.status === 200, from: '/livez/etcd' };
  }
  return { reachable: true, ready: readyz.status === 200, status: readyz.status, checks, etcd };
}

function text(a: Answer): string {
  return typeof a.body === 'string' ? a.body : JSON.stringify(a.body ?? '');
}
