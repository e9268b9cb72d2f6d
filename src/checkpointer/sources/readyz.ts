/**
 * Asks an apiserver pod itself for /readyz: on this node (it runs with hostNetwork) at the port
 * of its `--secure-port` flag. Anonymous, and without verifying the serving certificate: the
 * answer only has to come from whoever holds the port, which the lock check has already named.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { ReadyzProbe } from '../types.js';
import { httpsRequest } from './https-json.js';

/** The apiserver's port from its command line (`--secure-port=N`), default 6443. */
export function apiserverPort(pod: V1Pod): number {
  for (const c of pod.spec?.containers ?? []) {
    const argv = [...(c.command ?? []), ...(c.args ?? [])];
    for (let i = 0; i < argv.length; i++) {
      const m = /^--secure-port(?:=(\d+))?$/.exec(argv[i]!);
      if (m) return Number(m[1] ?? argv[i + 1]);
    }
  }
  return 6443;
}

export function httpsReadyzProbe(opts: { host?: string; timeoutMs?: number } = {}): ReadyzProbe {
  // One object for the probe's life: https-json keeps one agent (and its connections) per object.
  const tls = { insecure: true };
  return async (pod, signal) => {
    const url = new URL(`https://${opts.host ?? '127.0.0.1'}:${apiserverPort(pod)}/readyz`);
    try {
      const answer = await httpsRequest(url, {
        tls,
        timeoutMs: opts.timeoutMs ?? 3_000,
        signal,
      });
      return answer.status === 200;
    } catch {
      return false;
    }
  };
}
