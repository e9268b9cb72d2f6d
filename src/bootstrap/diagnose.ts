/**
 * What to tell an operator when a wait times out (DESIGN §3, last paragraph): bootkube's most
 * reported failure was a silent hang. The node, then every pod of interest with its container
 * states and last termination, then the most recent events — as lines, read through the API with
 * whatever answers (a failed read becomes a line saying so, never an exception).
 */
import type { ApiClient } from './client.js';

interface ContainerStatus {
  name: string;
  ready?: boolean;
  restartCount?: number;
  state?: {
    waiting?: { reason?: string; message?: string };
    running?: object;
    terminated?: { reason?: string; exitCode?: number; message?: string };
  };
  lastState?: { terminated?: { reason?: string; exitCode?: number; message?: string } };
}

/** One line per container: what it is doing and why. */
export function describeContainers(pod: any): string[] {
  const statuses: ContainerStatus[] = [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ];
  if (statuses.length === 0)
    return [
      `  ${pod.status?.phase ?? 'Pending'}, no container started${pod.spec?.nodeName ? '' : ' (not bound to a node)'}`,
    ];
  return statuses.map((c) => {
    const s = c.state ?? {};
    const now = s.running
      ? 'running'
      : s.waiting
        ? `waiting (${s.waiting.reason ?? '?'}${s.waiting.message ? `: ${s.waiting.message}` : ''})`
        : s.terminated
          ? `terminated (${s.terminated.reason ?? ''} exit ${s.terminated.exitCode ?? '?'})`
          : 'unknown';
    const last = c.lastState?.terminated
      ? `; last exit ${c.lastState.terminated.exitCode} ${c.lastState.terminated.reason ?? ''}${c.lastState.terminated.message ? `: ${c.lastState.terminated.message.split('\n').slice(-2).join(' | ')}` : ''}`
      : '';
    return `  ${c.name}: ${now}, ready=${!!c.ready}, restarts=${c.restartCount ?? 0}${last}`;
  });
}

/** Diagnosis lines for a node and the pods matching `podFilter` in `namespace`. */
export async function diagnose(
  client: ApiClient,
  opts: { nodeName: string; namespace: string; podFilter?: (pod: any) => boolean },
): Promise<string[]> {
  const lines: string[] = [];
  const node = await client.request('GET', `/api/v1/nodes/${encodeURIComponent(opts.nodeName)}`, {
    timeoutMs: 5000,
  });
  if (node.status === 404) {
    lines.push(
      `node ${opts.nodeName} never registered: is the kubelet running on it with --kubeconfig=/etc/kubernetes/kubeconfig, and does its certificate name system:node:${opts.nodeName}?`,
    );
  } else if (node.status === 200) {
    const ready = (node.body.status?.conditions ?? []).find((c: any) => c.type === 'Ready');
    lines.push(
      `node ${opts.nodeName}: Ready=${ready?.status ?? 'Unknown'}${ready?.message ? ` (${ready.message})` : ''}`,
    );
  } else {
    lines.push(`node ${opts.nodeName}: the API answered ${node.status || node.error?.message}`);
    return lines;
  }
  const pods = await client.request('GET', `/api/v1/namespaces/${opts.namespace}/pods`, { timeoutMs: 5000 });
  if (pods.status === 200) {
    for (const pod of (pods.body.items ?? []).filter(opts.podFilter ?? (() => true))) {
      lines.push(
        `pod ${opts.namespace}/${pod.metadata.name} on ${pod.spec?.nodeName || '(unscheduled)'}: ${pod.status?.phase ?? 'Pending'}`,
      );
      lines.push(...describeContainers(pod));
    }
  }
  const events = await client.request('GET', `/api/v1/namespaces/${opts.namespace}/events`, {
    timeoutMs: 5000,
  });
  if (events.status === 200) {
    const recent = (events.body.items ?? [])
      .filter((e: any) => e.type === 'Warning')
      .sort((a: any, b: any) =>
        String(a.lastTimestamp ?? a.eventTime).localeCompare(String(b.lastTimestamp ?? b.eventTime)),
      )
      .slice(-8);
    for (const e of recent)
      lines.push(`event ${e.involvedObject?.kind}/${e.involvedObject?.name}: ${e.reason}: ${e.message}`);
  }
  return lines;
}
