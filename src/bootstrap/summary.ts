/** start's summary for a human: the time of each phase, each hand-off's gap, what was created. */
import type { StartSummary } from './sequence.js';

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export function formatSummary(s: StartSummary): string {
  const lines = [
    `The self-hosted control plane is up on ${s.nodeName} (${s.apiServer}) after ${seconds(s.totalMs)}${s.resumed ? ', resumed through a serving API server' : ''}.`,
    '',
  ];
  lines.push('phase            time');
  for (const p of s.phases)
    lines.push(
      `${p.phase.padEnd(16)} ${p.skipped && p.ms === 0 ? `skipped: ${p.skipped}` : seconds(p.ms)}${p.skipped && p.ms ? ` (${p.skipped})` : ''}`,
    );
  for (const g of s.gaps)
    lines.push(`API unavailable during ${g.name}: ${seconds(g.ms)} (${g.polls} polls of /readyz)`);
  const count = (o: string) => s.objects.filter((x) => x.outcome === o).length;
  lines.push(
    '',
    `objects: ${count('created')} created, ${count('skipped')} already there, ${count('updated')} updated, ${count('differs')} differ, ${count('failed')} refused`,
  );
  for (const o of s.objects.filter((x) => x.outcome === 'differs' || x.outcome === 'failed'))
    lines.push(
      `  ${o.outcome}: ${o.object}${o.file ? ` (${o.file})` : ''}${o.message ? `: ${o.message}` : ''}`,
    );
  if (s.removedStalePods.length)
    lines.push('', `removed the pods of vanished nodes: ${s.removedStalePods.join(', ')}`);
  return lines.join('\n');
}
