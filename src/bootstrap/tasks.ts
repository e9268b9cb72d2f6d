/**
 * The nine steps of DESIGN §3 as a listr2 task list: data, with bodies that call the sequence
 * (sequence.ts) and skip predicates that read only the run's state. Each task records its time.
 */
import type { ListrTask, ListrTaskWrapper } from 'listr2';
import type { Phase } from './options.js';
import type { BootstrapRun, PhaseTiming } from './sequence.js';

export interface StartContext {
  run: BootstrapRun;
  timings: PhaseTiming[];
}

const RESUMED = 'an API server already answers /readyz: resuming through it';

function phase(
  name: Phase,
  title: string,
  body: (ctx: StartContext, task: ListrTaskWrapper<StartContext, any, any>) => Promise<void | string>,
  skip?: (ctx: StartContext) => string | false,
): ListrTask<StartContext> {
  return {
    title,
    skip: (ctx) => {
      const why = skip?.(ctx) ?? false;
      if (why) ctx.timings.push({ phase: name, ms: 0, skipped: why });
      return why;
    },
    task: async (ctx, task) => {
      const started = Date.now();
      ctx.run.beginPhase(name);
      ctx.run.o.progress = (line) => {
        task.output = line;
      };
      const note = await body(ctx, task);
      const ms = Date.now() - started;
      ctx.timings.push({ phase: name, ms, ...(typeof note === 'string' ? { skipped: note } : {}) });
      task.title = `${title} (${(ms / 1000).toFixed(1)} s${typeof note === 'string' ? `; ${note}` : ''})`;
    },
  };
}

const resumed = (ctx: StartContext) => (ctx.run.resumed ? RESUMED : false);

// Preflight runs before these (start.ts): a bad asset dir or etcd is one error line, not a task tree.
export const startTasks: ListrTask<StartContext>[] = [
  phase('lock', 'Take the API hand-off lock, or resume through a serving API server', async (ctx) => {
    await ctx.run.takeLockOrResume();
    if (ctx.run.resumed) return 'resumed';
  }),
  phase('shim', 'Serve the bootstrap API (shim) on the API address', (ctx) => ctx.run.startShim(), resumed),
  phase('bootstrap-pods', 'Create the bootstrap control-plane pods; label the node', async (ctx) => {
    if (ctx.run.resumed) {
      // The API answers: only a missing scheduler or controller-manager needs its bootstrap pod.
      const restored = await ctx.run.restoreMissingComponents();
      return restored.length ? `resumed; restored ${restored.join(', ')}` : 'resumed';
    }
    await ctx.run.createBootstrapPods();
    await ctx.run.labelNode();
  }),
  phase('handoff-1', 'Hand-off 1: shim → bootstrap apiserver', (ctx) => ctx.run.handOff1(), resumed),
  phase('self-hosted', 'Create the self-hosted control plane', (ctx) => ctx.run.createSelfHosted()),
  phase('wait', 'Wait for the self-hosted control plane', (ctx) => ctx.run.waitForSelfHosted()),
  phase('handoff-2', 'Hand-off 2: bootstrap → self-hosted apiserver', async (ctx) => {
    if (!(await ctx.run.handOff2())) return 'the bootstrap pods are already gone';
  }),
  phase('verify', 'Verify the control plane; remove bootstrap-secrets', (ctx) => ctx.run.verify()),
];
