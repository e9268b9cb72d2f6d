/**
 * The human output of `certs check-expiration` and `certs renew`: aligned tables and sentences.
 * (`--json` prints the typed results instead.)
 */
import type { CheckedCertificate, ExpirationReport } from './check.js';
import type { ClusterExpirationReport } from './cluster-check.js';
import type { ClusterRenewResult } from './cluster-renew.js';
import { formatDate, formatRemaining, type ExpiryState } from './expiry.js';
import type { RenewResult } from './renew.js';

/** Rows under headers, columns padded to their widest cell, two spaces apart. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(headers), ...rows.map(line)].join('\n');
}

const STATUS: Record<ExpiryState, string> = {
  ok: 'ok',
  warning: 'expires soon',
  'expires-today': 'EXPIRES TODAY',
  expired: 'EXPIRED',
};

/** The expiry table: one row per certificate, STATUS with `note(c)` appended when it gives one. */
export function expiryTable<C extends CheckedCertificate>(
  certs: C[],
  note: (c: C) => string = () => '',
): string {
  const rows = certs.map((c) => [
    c.name,
    c.subject,
    formatDate(c.expiry.notAfter),
    formatRemaining(c.expiry),
    STATUS[c.expiry.state] + note(c),
  ]);
  return formatTable(['NAME', 'SUBJECT', 'EXPIRES', 'REMAINING', 'STATUS'], rows);
}

/** The verdict line of `--fail-within`. */
function verdict(failing: string[], failWithin: { text: string; seconds: number }): string {
  const within = failWithin.seconds === 0 ? 'have expired' : `expire within ${failWithin.text}`;
  return failing.length === 0
    ? `No certificate ${failWithin.seconds === 0 ? 'has expired' : `expires within ${failWithin.text}`}.`
    : `${failing.length} certificate${failing.length === 1 ? '' : 's'} ${within} (--fail-within ${failWithin.text}): ${failing.join(', ')}.`;
}

/** The table (tls/ certificates, and embedded copies that differ), then warnings and the verdict. */
export function formatExpirationReport(report: ExpirationReport): string {
  const shown = report.certificates.filter((c) => c.source === 'tls' || c.differs);
  const lines = [
    expiryTable(shown, (c) => (c.differs ? `, differs from ${c.copyOf ?? 'every tls/ file'}` : '')),
  ];
  const identical = report.certificates.filter((c) => c.source !== 'tls' && !c.differs).length;
  if (identical > 0) {
    lines.push(
      '',
      `${identical} embedded copies (auth/ kubeconfigs, manifests/ Secrets) are identical to their tls/ files and expire with them.`,
    );
  }
  if (report.restored)
    lines.push(
      '',
      `An interrupted renew had left the asset dir aside as ${report.restored}; it was put back.`,
    );
  if (report.warnings.length > 0) lines.push('', ...report.warnings.map((w) => `Warning: ${w}`));
  lines.push('', verdict(report.failing, report.failWithin));
  return lines.join('\n');
}

/** The same table for a running cluster: one row per distinct certificate, where it sits below. */
export function formatClusterExpirationReport(report: ClusterExpirationReport): string {
  const lines = [
    `Certificates of the control plane at ${report.cluster} (its Secrets in kube-system, the certificate it serves, the CA of ${report.kubeconfig}):`,
    expiryTable(report.certificates, (c) => (c.differs ? ', differs (see below)' : '')),
  ];
  const copies = report.certificates.reduce((n, c) => n + c.locations.length - 1, 0);
  if (copies > 0)
    lines.push(
      '',
      `${copies} further copies (in other Secrets, served, or in the kubeconfig) are identical to a row above.`,
    );
  if (report.warnings.length > 0) lines.push('', ...report.warnings.map((w) => `Warning: ${w}`));
  lines.push('', verdict(report.failing, report.failWithin));
  return lines.join('\n');
}

/** What was renewed (old and new expiry), why, which copies followed, and what to do next. */
export function formatRenewal(result: RenewResult): string {
  const rows = result.renewed.map((r) => [
    r.name,
    r.subject,
    formatDate(r.notAfterBefore),
    formatDate(r.notAfter) + (r.cappedByCa ? ' (the CA expires then)' : ''),
  ]);
  const keys = result.renewed.some((r) => r.newKey) ? 'new keys' : 'keys kept';
  const lines = [
    `Renewed ${result.renewed.length} certificate${result.renewed.length === 1 ? '' : 's'} in ${result.assetDir} (subjects, SANs and usages kept; ${keys}):`,
    formatTable(['NAME', 'SUBJECT', 'OLD EXPIRY', 'NEW EXPIRY'], rows),
  ];
  for (const ca of result.renewed.filter((r) => r.isCa)) {
    const signed = result.renewed.filter((r) => r.signedBy === ca.name).map((r) => r.name);
    lines.push(
      '',
      `Renewed CA ${ca.name}: every certificate it signed must be renewed with it, so these were too: ${signed.join(', ') || 'none'}.`,
      `Every client and server that trusts ${ca.path} needs the new one (e.g. the kubelet's /etc/kubernetes/ca.crt).`,
    );
  }
  const capped = result.renewed.filter((r) => r.cappedByCa);
  if (capped.length > 0) {
    lines.push(
      '',
      `Warning: ${capped.map((r) => r.name).join(', ')} end when their CA does: renew the CA with --renew-ca.`,
    );
  }
  if (result.copiesUpdated.length > 0) {
    const files = [...new Set(result.copiesUpdated.map((c) => c.file))];
    const n = result.copiesUpdated.length;
    lines.push('', `Updated ${n} embedded ${n === 1 ? 'copy' : 'copies'} in ${files.join(', ')}.`);
  }
  for (const s of result.skipped) lines.push(`Skipped ${s.why}.`);
  if (result.restored)
    lines.push(
      `An interrupted renew had left the asset dir aside as ${result.restored}; it was put back first.`,
    );
  lines.push(
    '',
    'The asset dir was replaced as a whole. The running cluster still uses the old certificates: install them with the same command and --kubeconfig (docs/day-2.md).',
  );
  return lines.join('\n');
}

/** formatRenewal, then what was installed in the running cluster and what is left to do by hand. */
export function formatClusterRenewal(result: ClusterRenewResult): string {
  const lines = formatRenewal(result).split('\n');
  lines.splice(lines.length - 2);
  lines.push('');
  if (result.secretsUpdated.length === 0)
    lines.push(`No Secret of the control plane at ${result.cluster} holds a renewed certificate.`);
  for (const s of result.secretsUpdated) lines.push(`Updated Secret ${s.secret}: ${s.keys.join(', ')}.`);
  for (const r of result.rollouts)
    lines.push(`Rolled ${r.workload}: every pod runs with the new Secret (${r.seconds} s).`);
  if (result.served)
    lines.push(
      `The API at ${result.cluster} serves the renewed apiserver certificate (valid to ${formatDate(result.served.notAfter)}).`,
    );
  if (result.notInCluster.length > 0)
    lines.push(
      '',
      `${result.notInCluster.join(', ')}: in no Secret of the control plane; install ${result.notInCluster.length === 1 ? 'it' : 'them'} by hand (docs/day-2.md).`,
    );
  return lines.join('\n');
}
