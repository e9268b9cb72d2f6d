/**
 * A stand-in that runs inside the simulation's own process (controller-manager, scheduler) as a
 * RunningContainer: stop() is its SIGTERM (a graceful end: the scheduler gives its Lease back),
 * the kubelet's `signal` its SIGKILL (everything stops at once, nothing is released, as after a
 * kill -9), and it exits by itself when its main function returns, e.g. when leadership is lost.
 */
import type { ContainerContext, RunningContainer } from '../runtime.js';
import { sleep } from './client/informer.js';

export interface ProcessSignals {
  /** Aborted by SIGTERM or SIGKILL: everything long-lived listens to this. */
  signal: AbortSignal;
  /** Aborted by SIGKILL only: nothing more may be written (no Lease release). */
  kill: AbortSignal;
}

export type ExitStatus = { exitCode: number; reason?: string };

/** Starts `main` as the container's process. */
export function runInProcess(
  ctx: ContainerContext,
  main: (s: ProcessSignals) => Promise<ExitStatus>,
): RunningContainer {
  const term = new AbortController();
  const signal = AbortSignal.any([term.signal, ctx.signal]);
  let done = false;
  const exited = main({ signal, kill: ctx.signal })
    .catch((err: Error): ExitStatus => {
      ctx.log(`${err.name}: ${err.message}`);
      return { exitCode: 1, reason: 'Error' };
    })
    .then((status): ExitStatus => {
      done = true;
      // Killed: whatever main made of it, the process died of SIGKILL (128 + 9), as a runtime reports it.
      return ctx.signal.aborted ? { exitCode: 137, reason: 'Error' } : status;
    });
  return {
    ready: () => !done,
    live: () => !done,
    exited,
    async stop(graceMs) {
      term.abort();
      const grace = new AbortController();
      await Promise.race([exited, sleep(graceMs, grace.signal)]);
      grace.abort();
    },
  };
}
