/**
 * The stand-in control plane (DESIGN §5): the ContainerRunners the simulated kubelet tries before
 * its generic one. A container is recognised by its image (`…/kube-apiserver:v1.32.4`) or by the
 * binary its command names (also behind the lockexec wrapper); anything else is left to the next
 * runner and just "runs".
 *  - kube-apiserver → bootkube's API server in stand-in mode, as a real process behind the real lockexec;
 *  - kube-controller-manager → DaemonSet, Deployment and ReplicaSet controllers with leader election;
 *  - kube-scheduler → a scheduler binding pending pods, with leader election;
 *  - pod-checkpointer (`bootkube checkpoint`) → the real checkpointer, on the simulated runtime.
 */
import type { ContainerContext, ContainerRunner, RunningContainer } from '../runtime.js';
import { startApiServer, type ApiServerStandInOptions } from './apiserver.js';
import { startControllerManager } from './controller-manager.js';
import { recognise, type Component } from './recognise.js';
import { startScheduler } from './scheduler.js';
import { checkpointerRunner } from './checkpointer.js';

export { recognise, componentOfImage, type Component, type RecognisedCommand } from './recognise.js';
export { defaultBootkubeEntry, type ApiServerContainer, type ApiServerStandInOptions } from './apiserver.js';
export { runControllers, enabledControllers } from './controller-manager.js';
export {
  runLeaderElection,
  microTime,
  type LeaderElectionConfig,
  type LeaseStore,
  type Clock,
} from './leader-election.js';

export interface StandInOptions extends ApiServerStandInOptions {
  /** The API server URL the controller-manager and scheduler use instead of their kubeconfig's. */
  apiServer?: (ctx: ContainerContext) => string | undefined;
  /** Informer back-off after a failed list or watch (default 100 ms doubling to 2 s). */
  backoff?: { minMs: number; maxMs: number };
  /** How often the scheduler retries unschedulable pods without news (default 30 s). */
  schedulerFlushIntervalMs?: number;
  /** The pod checkpointer's pass interval (default: its --interval flag, else 5 s). */
  checkpointerIntervalMs?: number;
}

function runnerFor(
  component: Component,
  start: (
    ctx: ContainerContext,
    cmd: NonNullable<ReturnType<typeof recognise>>,
  ) => ReturnType<ContainerRunner>,
): ContainerRunner {
  return async (ctx) => {
    const cmd = recognise(ctx.container);
    if (!cmd || cmd.component !== component) return undefined;
    ctx.log(
      `stand-in ${component} for ${ctx.pod.metadata?.namespace}/${ctx.pod.metadata?.name}/${ctx.container.name}`,
    );
    try {
      return await start(ctx, cmd);
    } catch (err) {
      // What the real binary does with a flag it cannot use: say why and exit 1 (the kubelet restarts it).
      ctx.log(`${component}: ${(err as Error).message}`);
      return exitedAtOnce(1);
    }
  };
}

function exitedAtOnce(exitCode: number): RunningContainer {
  return { ready: () => false, exited: Promise.resolve({ exitCode, reason: 'Error' }), stop: async () => {} };
}

/** The stand-in runners, in order: apiserver, controller-manager, scheduler. Each returns undefined for containers it does not run. */
export function standInRunners(opts: StandInOptions): ContainerRunner[] {
  return [
    runnerFor('kube-apiserver', (ctx, cmd) => startApiServer(ctx, cmd, opts)),
    runnerFor('kube-controller-manager', async (ctx, cmd) =>
      startControllerManager(ctx, cmd.flags, { apiServer: opts.apiServer, backoff: opts.backoff }),
    ),
    runnerFor('kube-scheduler', async (ctx, cmd) =>
      startScheduler(ctx, cmd.flags, {
        apiServer: opts.apiServer,
        backoff: opts.backoff,
        flushIntervalMs: opts.schedulerFlushIntervalMs,
      }),
    ),
    checkpointerRunner({ intervalMs: opts.checkpointerIntervalMs }),
  ];
}
