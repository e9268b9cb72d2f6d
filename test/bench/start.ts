/**
 * npm run bench:start — the rehearsal (`bootkube start --simulate`, whole process, the compiled
 * dist/): wall time from start to a verified self-hosted control plane (the summary's totalMs: the
 * nine phases, after the private etcd and the simulated master are up), each hand-off's API gap,
 * and the whole process's wall time. Median of BENCH_RUNS (default 5). Budgets (DESIGN.md §9):
 * ≤ 5 s to verified, ≤ 1 s per gap. Prints figures; never fails on time.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 5);
if (!existsSync(join(root, 'dist/commands/start.js')))
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const figures = {
  verifiedS: [] as number[],
  gap1S: [] as number[],
  gap2S: [] as number[],
  processS: [] as number[],
};
const phases = new Map<string, number[]>();

for (let i = 0; i < runs; i++) {
  const t = process.hrtime.bigint();
  const r = spawnSync(
    process.execPath,
    [join(root, 'bin/run.js'), 'start', '--simulate', '--json', '--timeout', '120s'],
    { encoding: 'utf8' },
  );
  const wall = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0)
    throw new Error(`start --simulate failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  const s = JSON.parse(r.stdout) as {
    totalMs: number;
    gaps: { name: string; ms: number }[];
    phases: { phase: string; ms: number }[];
  };
  figures.verifiedS.push(s.totalMs / 1000);
  figures.gap1S.push((s.gaps.find((g) => g.name === 'hand-off 1')?.ms ?? NaN) / 1000);
  figures.gap2S.push((s.gaps.find((g) => g.name === 'hand-off 2')?.ms ?? NaN) / 1000);
  figures.processS.push(wall);
  for (const p of s.phases) phases.set(p.phase, [...(phases.get(p.phase) ?? []), p.ms / 1000]);
  console.log(
    `run ${i + 1}/${runs}: verified after ${(s.totalMs / 1000).toFixed(2)} s, gaps ${s.gaps.map((g) => `${g.name} ${(g.ms / 1000).toFixed(2)} s`).join(', ')}, process ${wall.toFixed(2)} s`,
  );
}

const out = Object.fromEntries(
  Object.entries(figures).map(([k, xs]) => [
    k,
    { median: +median(xs).toFixed(3), min: +Math.min(...xs).toFixed(3), max: +Math.max(...xs).toFixed(3) },
  ]),
);
const perPhase = Object.fromEntries([...phases].map(([k, xs]) => [k, +median(xs).toFixed(3)]));
console.log(
  `median to verified: ${out.verifiedS!.median} s (budget 5 s); gap 1: ${out.gap1S!.median} s, gap 2: ${out.gap2S!.median} s (budget 1 s each); whole process ${out.processS!.median} s`,
);
console.log(`median per phase (s): ${JSON.stringify(perPhase)}`);
console.log(`BENCH start ${JSON.stringify({ runs, ...out, perPhase })}`);
