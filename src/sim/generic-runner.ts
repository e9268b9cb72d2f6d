/**
 * The last runner of every simulated kubelet: it "runs" any container. The process does nothing
 * but live; what it does over time comes from the pod's sim.bootkube.dev/* annotations
 * (src/sim/kubelet/annotations.ts): exit by itself with a code, become ready late, fail its
 * liveness, ignore SIGTERM. Init containers complete after a second of kubelet time. Times run on
 * the kubelet's clock, so they scale with the simulation's speed.
 */
import { chmod, copyFile, stat } from 'node:fs/promises';
import type { ContainerContext, ContainerRunner, RunningContainer } from './runtime.js';
import { SIM, simAnnotation, simDuration } from './kubelet/annotations.js';
import type { Clock, Timer } from './kubelet/clock.js';

export interface GenericRunnerOptions {
  clock: Clock;
  /** How long an init container runs before it completes, when no annotation says (kubelet ms). */
  initRunMs?: number;
  /** Files of container images: path in the image → a real file (e.g. the built lockexec). */
  imageFiles?: Record<string, string>;
}

/** SIGKILL's exit status as a runtime reports it (128 + 9). */
const KILLED = 137;

/** A runner that accepts every container. */
export function genericRunner(opts: GenericRunnerOptions): ContainerRunner {
  const { clock } = opts;
  return async (ctx) => {
    const { pod, container, signal } = ctx;
    const argv = [...(container.command ?? []), ...(container.args ?? [])];
    if (argv[0] === 'cp' || argv[0]?.endsWith('/cp')) {
      const copied = await copy(ctx, argv.slice(1), opts.imageFiles ?? {});
      if (copied) return copied;
    }
    const isInit =
      (pod.spec?.initContainers ?? []).some((c) => c.name === container.name) &&
      container.restartPolicy !== 'Always';
    const startedAt = clock.now();
    const after = (key: string) => simDuration(pod, container, key);
    const exitAfter = after(SIM.exitAfter) ?? (isInit ? (opts.initRunMs ?? 1000) : undefined);
    const exitCode = Number(simAnnotation(pod, container, SIM.exitCode) ?? 0) || 0;
    const ignoreSigterm = simAnnotation(pod, container, SIM.ignoreSigterm) === 'true';
    const timers: Timer[] = [];
    let settle!: (r: { exitCode: number; reason?: string }) => void;
    let done = false;
    const exited = new Promise<{ exitCode: number; reason?: string }>((resolve) => (settle = resolve));
    const finish = (r: { exitCode: number; reason?: string }) => {
      if (done) return;
      done = true;
      for (const t of timers) t.cancel();
      signal.removeEventListener('abort', onKill);
      settle(r);
    };
    const onKill = () => finish({ exitCode: KILLED, reason: 'Error' });
    if (signal.aborted) onKill();
    else signal.addEventListener('abort', onKill, { once: true });
    if (exitAfter !== undefined) {
      timers.push(
        clock.after(exitAfter, () => finish({ exitCode, reason: exitCode === 0 ? 'Completed' : 'Error' })),
      );
    }
    ctx.log(`started ${container.image ?? ''}`.trim());
    const elapsedPast = (key: string) => {
      const d = after(key);
      return d !== undefined && clock.since(startedAt) >= d;
    };
    const running: RunningContainer = {
      ready: () =>
        !done &&
        (after(SIM.readyAfter) === undefined || elapsedPast(SIM.readyAfter)) &&
        !elapsedPast(SIM.unreadyAfter),
      live: () => !elapsedPast(SIM.livenessFailAfter),
      exited,
      async stop(graceMs: number) {
        if (done || ignoreSigterm) return;
        const stopAfter = after(SIM.stopAfter) ?? 0;
        if (stopAfter >= graceMs) return; // the kubelet's SIGKILL comes first
        if (stopAfter === 0) finish({ exitCode: 0, reason: 'Completed' });
        else timers.push(clock.after(stopAfter, () => finish({ exitCode: 0, reason: 'Completed' })));
      },
    };
    return running;
  };
}

/**
 * `cp SRC DST`, for real: an init container that installs a file from its image into a volume
 * (render's install-lockexec). SRC is an image file (GenericRunnerOptions.imageFiles) or on a volume;
 * DST must be on a volume, or the copy would vanish with the container's own filesystem. Undefined
 * when SRC is in an image the simulation does not carry: then the container runs as any other.
 */
async function copy(
  ctx: ContainerContext,
  args: string[],
  imageFiles: Record<string, string>,
): Promise<RunningContainer | undefined> {
  const done = (exitCode: number, line?: string): RunningContainer => {
    if (line) ctx.log(line);
    return {
      ready: () => false,
      exited: Promise.resolve({ exitCode, reason: exitCode === 0 ? 'Completed' : 'Error' }),
      stop: async () => {},
    };
  };
  const paths = args.filter((a) => !a.startsWith('-'));
  if (paths.length !== 2) return done(1, `cp: expected SRC DST, got ${args.join(' ')}`);
  const [srcPath, dstPath] = paths as [string, string];
  const src = ctx.node.containerPath(ctx.pod, ctx.container, srcPath) ?? imageFiles[srcPath];
  // A file of an image the simulation does not carry: the container just "runs", as any other.
  if (!src) return undefined;
  const dst = ctx.node.containerPath(ctx.pod, ctx.container, dstPath);
  if (!dst) return done(0, `cp: ${dstPath} is on no volume: the copy stays in the container`);
  try {
    await copyFile(src, dst);
    await chmod(dst, (await stat(src)).mode & 0o777);
  } catch (err) {
    return done(1, `cp: ${(err as Error).message}`);
  }
  return done(0);
}
