/**
 * npm run bench:render — whole-process wall time of `bootkube render` (the installed entry,
 * bin/run.js on the compiled dist/), median of several runs, for each key type. Budget
 * (DESIGN.md §9): ≤ 0.45 s median. Prints figures; never fails on time.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 11);
if (!existsSync(join(root, 'dist/commands/render.js'))) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function measure(keyType: string): { medianS: number; minS: number; maxS: number; maxRssMiB: number } {
  const dir = mkdtempSync(join(tmpdir(), 'bench-render-'));
  const times: number[] = [];
  const rss: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const args = [join(root, 'bin/run.js'), 'render', '--asset-dir', join(dir, 'assets'), '--force', '--key-type', keyType, '--node-name', 'master-0'];
      const start = process.hrtime.bigint();
      // /usr/bin/time reports the child's peak resident memory in KiB.
      const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, ...args], { encoding: 'utf8' });
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (r.status !== 0) throw new Error(`render failed: ${r.stderr}`);
      times.push(seconds);
      rss.push(Number(r.stderr.trim().split('\n').pop()) / 1024);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { medianS: median(times), minS: Math.min(...times), maxS: Math.max(...times), maxRssMiB: Math.max(...rss) };
}

const figures: Record<string, ReturnType<typeof measure>> = {};
for (const keyType of ['rsa-2048', 'ecdsa-p256']) {
  const f = (figures[keyType] = measure(keyType));
  console.log(
    `render ${keyType}: median ${f.medianS.toFixed(3)} s (min ${f.minS.toFixed(3)}, max ${f.maxS.toFixed(3)}) over ${runs} runs, peak RSS ${f.maxRssMiB.toFixed(0)} MiB — budget 0.45 s`,
  );
}
console.log(`BENCH render ${JSON.stringify({ runs, ...figures })}`);
