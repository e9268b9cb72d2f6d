/**
 * The pod-checkpointer stand-in: render's DaemonSet runs `bootkube checkpoint …` from the bootkube
 * image; on a simulated node that is the real checkpointer (src/checkpointer, runCheckpointer)
 * in-process, with the container's flags mapped to the node's files, its identity from the
 * downward-API environment, and one difference: the local truth comes from the simulated runtime
 * instead of a CRI socket. The API, the kubelet's /pods, the hand-off lock (/proc/locks) and
 * /readyz are the real sources against the simulated node's real files and ports.
 */
import { parseDuration } from '../../cli/duration.js';
import { runCheckpointer } from '../../checkpointer/daemon.js';
import type { RuntimePod, RuntimeSource } from '../../checkpointer/types.js';
import type { ContainerContext, ContainerRunner } from '../runtime.js';
import { parseComponentFlags } from './flags.js';
import { runInProcess } from './in-process.js';
import { hostFile } from './paths.js';

export interface CheckpointerStandInOptions {
  /** Time between two passes (default: the container's --interval, else 5 s). */
  intervalMs?: number;
}

const basename = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/**
 * The container's `bootkube checkpoint` flags, or undefined when it runs something else. The CLI may
 * be run through node with node's own flags first (render's DaemonSet: `node --lite-mode
 * /usr/local/bin/bootkube checkpoint …`).
 */
export function checkpointerFlags(ctx: ContainerContext): string[] | undefined {
  let argv = [...(ctx.container.command ?? []), ...(ctx.container.args ?? [])];
  if (basename(argv[0] ?? '') === 'node') {
    argv = argv.slice(1);
    while (argv[0]?.startsWith('-')) argv = argv.slice(1);
  }
  return basename(argv[0] ?? '') === 'bootkube' && argv[1] === 'checkpoint' ? argv.slice(2) : undefined;
}

/** The simulated node's runtime as the checkpointer's RuntimeSource (the CRI's ListPodSandbox + ListContainers). */
export function simRuntimeSource(ctx: ContainerContext): RuntimeSource {
  return {
    name: 'sim-runtime',
    async list() {
      const pods = ctx.node.runtimePods?.();
      if (!pods) return { state: 'unknown', reason: 'the simulated node exposes no runtime' };
      const out: RuntimePod[] = pods.map(({ pod, ready, containers }) => ({
        uid: pod.metadata?.uid ?? '',
        namespace: pod.metadata?.namespace ?? '',
        name: pod.metadata?.name ?? '',
        ready,
        labels: pod.metadata?.labels ?? {},
        annotations: pod.metadata?.annotations ?? {},
        containers: containers.map((c) => ({
          id: c.id,
          name: c.name,
          state: c.running ? 'running' : 'exited',
        })),
      }));
      return { state: 'ok', observedAt: Date.now(), pods: out };
    },
  };
}

/** The runner: the real checkpointer for `bootkube checkpoint` containers, nothing for others. */
export function checkpointerRunner(opts: CheckpointerStandInOptions = {}): ContainerRunner {
  return async (ctx) => {
    const args = checkpointerFlags(ctx);
    if (!args) return undefined;
    const flags = parseComponentFlags(args);
    const env: Record<string, string> = {};
    for (const e of ctx.container.env ?? []) {
      const path = e.valueFrom?.fieldRef?.fieldPath;
      const value =
        e.value ?? (path ? String(path.split('.').reduce<any>((o, k) => o?.[k], ctx.pod) ?? '') : undefined);
      if (value !== undefined) env[e.name] = value;
    }
    const kubeconfig = hostFile(ctx, flags.get('kubeconfig') ?? '/etc/kubernetes/kubeconfig');
    const lockFile = hostFile(ctx, flags.get('lock-file') ?? '/var/lock/bootkube/pod-checkpointer.lock');
    const grace = flags.get('checkpoint-grace-period');
    const interval = flags.get('interval');
    ctx.log(`stand-in pod-checkpointer on ${ctx.node.nodeName}`);
    return runInProcess(ctx, async ({ signal }) => {
      await runCheckpointer({
        rootDir: ctx.node.rootDir,
        kubeconfig,
        lockFile,
        gracePeriodMs: grace ? parseDuration(grace, '--checkpoint-grace-period') : undefined,
        intervalMs: opts.intervalMs ?? (interval ? parseDuration(interval, '--interval') : undefined),
        kubeletPort: ctx.node.kubeletPort?.(),
        runtime: simRuntimeSource(ctx),
        env,
        log: { info: (m) => ctx.log(m), warn: (m) => ctx.log(`warning: ${m}`) },
        signal,
      });
      return { exitCode: 0 };
    });
  };
}
