/**
 * The human output of `bootkube status`: one screen — the API and etcd, the certificates, one table
 * row per control-plane pod on each master (checkpoints marked), the workloads, then the verdict
 * and every problem. (`--json` prints the StatusReport instead.)
 */
import { formatDate, formatRemaining } from '../certs/expiry.js';
import { formatTable } from '../certs/report.js';
import type { PodStatus } from './control-plane.js';
import type { StatusReport } from './status.js';

export function formatStatus(r: StatusReport): string {
  const lines = [
    `Cluster ${r.cluster} (${r.kubeconfig}), at ${formatDate(r.checkedAt.replace(/\.\d+Z$/, 'Z'))}`,
  ];
  const api = r.api;
  if (!api.reachable) lines.push(`API       does not answer: ${api.error}`);
  else {
    const checks = api.checks.map((c) => `${c.name} ${c.ok ? 'ok' : 'FAILED'}`).join(', ');
    lines.push(
      `API       ${api.ready ? 'ready' : `NOT READY (${api.status})`}: /readyz ${checks || '(no checks listed)'}`,
    );
    const etcd = api.etcd.ok === undefined ? 'unknown' : api.etcd.ok ? 'healthy' : 'UNHEALTHY';
    lines.push(`etcd      ${etcd} (${api.etcd.from})`);
  }
  const served = r.certificates.served;
  if (served)
    lines.push(
      `Serving   ${served.subject}, expires ${formatDate(served.expiry.notAfter)} (${formatRemaining(served.expiry)})${served.locations.length > 1 ? ', as in its Secret' : ''}`,
    );
  const inSecrets = r.certificates.all.filter((c) => c.source === 'secret');
  if (inSecrets.length > 0) {
    const first = [...inSecrets].sort((a, b) => a.expiry.remainingSeconds - b.expiry.remainingSeconds)[0]!;
    lines.push(
      `Secrets   ${inSecrets.length} certificates; the first to expire: ${first.name}, ${formatDate(first.expiry.notAfter)} (${formatRemaining(first.expiry)})`,
    );
  }

  const pods: string[][] = [];
  for (const m of r.masters) {
    const node = `${m.name}${m.ready ? '' : ' (NotReady)'}`;
    if (m.pods.length === 0) pods.push([node, '-', '(no control-plane pod)', '', '', '']);
    for (const p of m.pods) pods.push(podRow(node, p));
  }
  for (const p of r.elsewhere) pods.push(podRow(p.node ?? '(none)', p));
  if (pods.length > 0)
    lines.push('', formatTable(['NODE', 'COMPONENT', 'POD', 'READY', 'STATUS', 'RESTARTS'], pods));
  if (r.workloads.length > 0) {
    const rows = r.workloads.map((w) => [
      `${w.kind.toLowerCase()}/${w.name}`,
      String(w.desired),
      String(w.ready),
      String(w.updated),
      String(w.available),
    ]);
    lines.push('', formatTable(['WORKLOAD', 'DESIRED', 'READY', 'UP-TO-DATE', 'AVAILABLE'], rows));
  }
  if (r.warnings.length > 0) lines.push('', ...r.warnings.map((w) => `Warning: ${w}`));
  lines.push('');
  if (r.healthy) lines.push('Healthy.');
  else {
    lines.push(`Unhealthy: ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}:`);
    lines.push(...r.problems.map((p) => `  - ${p}`));
  }
  return lines.join('\n');
}

function podRow(node: string, p: PodStatus): string[] {
  const mark =
    p.checkpoint?.state === 'self'
      ? ' (its own checkpoint)'
      : p.checkpoint?.state === 'stale'
        ? ` (checkpoint of ${p.checkpoint.of}: STALE)`
        : p.checkpoint
          ? ` (checkpoint of ${p.checkpoint.of}: standing in)`
          : p.kind === 'static'
            ? ' (static)'
            : '';
  return [
    node,
    p.component,
    p.name,
    `${p.containers.ready}/${p.containers.total}`,
    `${p.status}${mark}`,
    String(p.restarts),
  ];
}
