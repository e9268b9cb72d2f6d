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
  const unlock = await acquireRunLock(opts.assetDir, { what: 'bootkube start' });
  const run = new BootstrapRun(opts);
  const ctx: StartContext = { run, timings: [] };
  try {
    await new Listr<StartContext>(startTasks, {
      ...rendererOptions(ui),
      exitOnError: true,
      registerSignalListeners: false,
      ctx,
    }).run();
  } finally {
    await run.cleanup();
    await unlock().catch(() => undefined);
  }
  return {
    nodeName: run.nodeName,
    apiServer: run.target.server.origin,
    resumed: run.resumed,
    phases: ctx.timings,
    gaps: run.gaps,
    objects: run.objects,
    totalMs: Date.now() - started,
  };
}

export type { StartSummary, PhaseTiming } from './sequence.js';
