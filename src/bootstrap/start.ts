/**
 * `bootkube start` as a library call: the single-run lock on the asset dir, the nine steps
 * (tasks.ts) under listr2, and the summary. Whatever ends the run — success, a failure, Ctrl-C —
 * the shim stops serving and the hand-off lock is released before this returns, and a second run
 * resumes where this one stopped.
 */
import { Listr } from 'listr2';
import { rendererOptions } from '../cli/renderer.js';
import { acquireRunLock } from '../lock/index.js';
import type { StartOptions } from './options.js';
import { BootstrapRun, type StartSummary } from './sequence.js';
import { startTasks, type StartContext } from './tasks.js';

export async function runStart(
  opts: StartOptions,
  ui: { json?: boolean; quiet?: boolean } = {},
): Promise<StartSummary> {
  const started = Date.now();
  const run = new BootstrapRun(opts);
  const ctx: StartContext = { run, timings: [] };
  let unlock: (() => Promise<void>) | undefined;
  try {
    // Read-only checks first: bad input is refused before anything is written, even the run lock.
    run.beginPhase('preflight');
    await run.preflight();
    // Stale 5 s after a killed run's last refresh: a re-run after a kill -9 waits at most that long.
    unlock = await acquireRunLock(opts.assetDir, { what: 'bootkube start', staleMs: 5_000 });
    ctx.timings.push({ phase: 'preflight', ms: Date.now() - started });
    await new Listr<StartContext>(startTasks, {
      ...rendererOptions(ui),
      exitOnError: true,
      registerSignalListeners: false,
      ctx,
    }).run();
  } finally {
    await run.cleanup();
    await unlock?.().catch(() => undefined);
  }
  return {
    nodeName: run.nodeName,
    apiServer: run.target.server.origin,
    resumed: run.resumed,
    phases: ctx.timings,
    gaps: run.gaps,
    objects: run.objects,
    removedStalePods: run.removedStalePods,
    totalMs: Date.now() - started,
  };
}

export type { StartSummary, PhaseTiming } from './sequence.js';
