/**
 * The kube-scheduler stand-in: binds pending pods of `default-scheduler` (scheduling/) while it
 * holds the `kube-scheduler` Lease. Like the real scheduler its informers run from the start
 * (a new leader schedules at once from a warm cache), it gives the Lease back on a graceful stop
 * (ReleaseOnCancel), and a lost lease ends the process (exit 1) for the kubelet to restart.
 */
import type { ContainerContext, RunningContainer } from '../runtime.js';
import { Informer } from './client/informer.js';
import { setUpComponent, whileLeading, type SetupOptions } from './component.js';
import { eventsV1Recorder } from './controllers/events.js';
import { runInProcess } from './in-process.js';
import { podHostname } from './paths.js';
import { SchedulingLoop } from './scheduling/scheduler.js';

export interface SchedulerStandInOptions extends SetupOptions {
  backoff?: { minMs: number; maxMs: number };
  flushIntervalMs?: number;
}

/** The runner's part: flags → client, informers, leader election → the scheduling loop while leading. */
export function startScheduler(
  ctx: ContainerContext,
  args: readonly string[],
  opts: SchedulerStandInOptions = {},
): RunningContainer {
  return runInProcess(ctx, async ({ signal, kill }) => {
    const setup = await setUpComponent(ctx, args, 'kube-scheduler', opts);
    try {
      const client = setup.client;
      const informerOpts = { log: ctx.log, backoff: opts.backoff };
      // What the real scheduler caches: every node, and every pod not yet finished.
      const pods = new Informer(client, {
        path: '/api/v1/pods',
        fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed',
        ...informerOpts,
      });
      const nodes = new Informer(client, { path: '/api/v1/nodes', ...informerOpts });
      const loop = new SchedulingLoop({
        client,
        pods,
        nodes,
        recorder: eventsV1Recorder(
          client,
          'default-scheduler',
          `default-scheduler-${podHostname(ctx)}`,
          ctx.log,
        ),
        schedulerName: 'default-scheduler',
        flushIntervalMs: opts.flushIntervalMs,
        log: ctx.log,
      });
      // The informers live as long as the process, which also ends when leadership is lost.
      const life = new AbortController();
      const alive = AbortSignal.any([signal, life.signal]);
      const informing = [pods.run(alive), nodes.run(alive)];
      ctx.log(`kube-scheduler stand-in ${setup.identity}`);
      const outcome = await whileLeading(
        setup,
        signal,
        async (leading) => {
          await Promise.race([
            Promise.all([pods.synced, nodes.synced]),
            new Promise((r) => leading.addEventListener('abort', r, { once: true })),
          ]);
          if (!leading.aborted) await loop.run(leading);
        },
        { releaseOnCancel: true, kill, log: ctx.log },
      );
      life.abort();
      await Promise.all(informing);
      return outcome === 'lost' ? { exitCode: 1, reason: 'leaderelection lost' } : { exitCode: 0 };
    } finally {
      setup.client.close();
    }
  });
}
