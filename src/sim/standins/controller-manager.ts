/**
 * The kube-controller-manager stand-in: the DaemonSet, Deployment and ReplicaSet controllers of
 * `--controllers` (default `*`), run only while this instance holds the `kube-controller-manager`
 * Lease. As in the real component, informers and controllers start once leadership is won, and a
 * lost lease ends the process (exit 1, "leaderelection lost"): the kubelet restarts it and it
 * campaigns again. A killed instance releases nothing; another takes over when the Lease expires.
 */
import type { ContainerContext, RunningContainer } from '../runtime.js';
import type { KubeClient } from './client/client.js';
import { Informer } from './client/informer.js';
import { setUpComponent, whileLeading, type SetupOptions } from './component.js';
import type { Controller, ControllerContext, Informers } from './controllers/context.js';
import { DaemonSetController } from './controllers/daemonset.js';
import { DeploymentController } from './controllers/deployment.js';
import { coreEventRecorder, type EventRecorder } from './controllers/events.js';
import { ReplicaSetController } from './controllers/replicaset.js';
import { runInProcess } from './in-process.js';

const KNOWN = ['daemonset', 'deployment', 'replicaset'] as const;

/** Which of our controllers `--controllers` turns on (`*` is every default one, `-name` turns one off). */
export function enabledControllers(flag: string | undefined): string[] {
  const items = (flag ?? '*')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return KNOWN.filter((name) => items.includes(name) || (items.includes('*') && !items.includes(`-${name}`)));
}

export interface ControllerManagerOptions {
  client: KubeClient;
  controllers: readonly string[];
  log: (line: string) => void;
  now?: () => number;
  /** Informer back-off after a failed list or watch. */
  backoff?: { minMs: number; maxMs: number };
}

/** Runs the controllers until `signal` aborts: informers first, controllers once they have synced. */
export async function runControllers(opts: ControllerManagerOptions, signal: AbortSignal): Promise<void> {
  const inf = (path: string): Informer =>
    new Informer(opts.client, { path, log: opts.log, backoff: opts.backoff });
  const informers: Informers = {
    pods: inf('/api/v1/pods'),
    nodes: inf('/api/v1/nodes'),
    daemonSets: inf('/apis/apps/v1/daemonsets'),
    replicaSets: inf('/apis/apps/v1/replicasets'),
    deployments: inf('/apis/apps/v1/deployments'),
    controllerRevisions: inf('/apis/apps/v1/controllerrevisions'),
  };
  const recorders = new Map<string, EventRecorder>();
  const ctx: ControllerContext = {
    client: opts.client,
    informers,
    recorder: (component) => {
      let r = recorders.get(component);
      if (!r) recorders.set(component, (r = coreEventRecorder(opts.client, component, opts.log)));
      return r;
    },
    log: opts.log,
    now: opts.now ?? Date.now,
    signal,
  };
  const factories: Record<string, (c: ControllerContext) => Controller> = {
    daemonset: (c) => new DaemonSetController(c),
    deployment: (c) => new DeploymentController(c),
    replicaset: (c) => new ReplicaSetController(c),
  };
  // Handlers are registered before the informers run, so no event is missed.
  const controllers = opts.controllers.map((name) => factories[name]!(ctx));
  const running = Object.values(informers).map((i) => i.run(signal));
  await Promise.race([
    Promise.all(Object.values(informers).map((i) => i.synced)),
    new Promise((r) => signal.addEventListener('abort', r, { once: true })),
  ]);
  if (!signal.aborted) {
    opts.log(`caches synced; starting controllers ${controllers.map((c) => c.name).join(', ')}`);
    await Promise.all(controllers.map((c) => c.run(signal)));
  }
  await Promise.all(running);
}

/** The runner's part: flags → client and leader election → controllers while leading. */
export function startControllerManager(
  ctx: ContainerContext,
  args: readonly string[],
  opts: SetupOptions & { backoff?: { minMs: number; maxMs: number } } = {},
): RunningContainer {
  return runInProcess(ctx, async ({ signal, kill }) => {
    const setup = await setUpComponent(ctx, args, 'kube-controller-manager', opts);
    try {
      const controllers = enabledControllers(setup.flags.get('controllers'));
      ctx.log(
        `kube-controller-manager stand-in ${setup.identity}: controllers ${controllers.join(', ') || '(none)'}`,
      );
      const outcome = await whileLeading(
        setup,
        signal,
        (leading) =>
          runControllers({ client: setup.client, controllers, log: ctx.log, backoff: opts.backoff }, leading),
        {
          releaseOnCancel: false,
          kill,
          log: ctx.log,
        },
      );
      return outcome === 'lost' ? { exitCode: 1, reason: 'leaderelection lost' } : { exitCode: 0 };
    } finally {
      setup.client.close();
    }
  });
}
