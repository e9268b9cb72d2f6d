/** The human output of `bootkube reset`: what it will remove, and what it did. */
import type { ResetResult } from './apply.js';
import type { ResetEntry, ResetPlan } from './plan.js';

function describe(e: ResetEntry): string {
  const shape =
    e.kind === 'dir'
      ? e.onlyIfEmpty
        ? 'dir, if empty'
        : `dir, ${e.files ?? 0} file${e.files === 1 ? '' : 's'}`
      : 'file';
  return `${e.kind === 'dir' ? `${e.hostPath}/` : e.hostPath}  (${shape}: ${e.what})`;
}

/** The list `reset` shows before asking. */
export function formatPlan(p: ResetPlan): string {
  const where = p.rootDir === '/' ? 'on this node' : `under ${p.rootDir}`;
  if (p.entries.length === 0) return `Nothing of bootkube's found ${where}.`;
  return [
    `bootkube put ${p.entries.length === 1 ? 'this path' : `these ${p.entries.length} paths`} ${where}:`,
    ...p.entries.map((e) => `  ${describe(e)}`),
    'Not touched: etcd data (/var/lib/etcd), static pods bootkube did not write, the kubelet and its config, asset dirs.',
  ].join('\n');
}

/** What was removed, and anything listed that was not. */
export function formatResult(r: ResetResult): string {
  const lines = [`Removed ${r.removed.length} path${r.removed.length === 1 ? '' : 's'}.`];
  for (const e of r.gone) lines.push(`Already gone: ${e.hostPath}`);
  for (const k of r.kept) lines.push(`Not removed: ${k.entry.hostPath}: ${k.why}`);
  return lines.join('\n');
}
