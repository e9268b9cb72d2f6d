/**
 * The kube-apiserver stand-in runner: the container's own command line becomes a real process,
 * `<lockexec> <node's lock file> <bootkube> sim apiserver <flags with host paths>`. The real
 * lockexec (built from assets/lockexec.c) opens the node's lock file, blocks in flock(2) and execs
 * the stand-in, which therefore keeps lockexec's PID, receives stop()'s SIGTERM itself and holds
 * the lock exactly as long as it lives: every hand-off of DESIGN §3 happens for real.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ContainerContext, RunningContainer } from '../runtime.js';
import type { Storage } from '../../apiserver/storage/index.js';
import { startInProcessApiServer } from './apiserver-in-process.js';
import { APISERVER_FILE_FLAGS } from './apiserver-process.js';
import { sleep } from './client/informer.js';
import { mapFlagValues, parseComponentFlags } from './flags.js';
import { hostFile } from './paths.js';
import type { RecognisedCommand } from './recognise.js';

export interface ApiServerStandInOptions {
  /** The lockexec binary to run in place of the pod's (test/helpers/lockexec.ts builds it). */
  lockexecPath: string;
  /** argv prefix that runs the bootkube CLI; see defaultBootkubeEntry(). */
  bootkubeEntry?: readonly string[];
  /**
   * Serve this storage in this process instead of the flags' etcd (the rehearsal's memory back
   * end); the pod's lockexec still takes the lock, in a child that holds it for the server.
   */
  storage?: Storage;
  /** Where to listen instead of the flags' --bind-address/--secure-port (several masters on one machine). */
  listenAddress?: (
    ctx: ContainerContext,
    flags: { host: string; port: number },
  ) => { host: string; port: number };
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * The bootkube CLI as this process runs it: from TypeScript, node with tsx on bin/dev.js; from the
 * build, bin/run.js. Absolute paths, so lockexec's execvp needs no PATH and no working directory.
 */
export function defaultBootkubeEntry(): string[] {
  if (import.meta.url.endsWith('.ts')) {
    return [
      process.execPath,
      '--import',
      import.meta.resolve('tsx'),
      '--no-warnings=ExperimentalWarning',
      join(ROOT, 'bin/dev.js'),
    ];
  }
  return [process.execPath, join(ROOT, 'bin/run.js')];
}

/** The argv of the stand-in process for a recognised kube-apiserver container (exported for tests). */
export function apiServerArgv(
  ctx: ContainerContext,
  cmd: RecognisedCommand,
  opts: ApiServerStandInOptions,
): string[] {
  let flags = mapFlagValues(cmd.flags, new Set(APISERVER_FILE_FLAGS), (_, value) => hostFile(ctx, value));
  if (opts.listenAddress) {
    const parsed = parseComponentFlags(cmd.flags);
    const at = opts.listenAddress(ctx, {
      host: parsed.get('bind-address') ?? '0.0.0.0',
      port: Number(parsed.get('secure-port') ?? 6443),
    });
    flags = [
      ...flags.filter((f) => !/^--?(bind-address|secure-port)(=|$)/.test(f)),
      `--bind-address=${at.host}`,
      `--secure-port=${at.port}`,
    ];
  }
  // `--`: oclif would refuse kube-apiserver's flags as its own; after it they pass as arguments.
  const entry = [...(opts.bootkubeEntry ?? defaultBootkubeEntry()), 'sim', 'apiserver', '--', ...flags];
  if (!cmd.lockexec) return entry;
  // The lockexec the command names (an init container copied it into an emptyDir), if it is there.
  const own = ctx.node.containerPath(ctx.pod, ctx.container, cmd.lockexec.path);
  const lockexec = own && existsSync(own) ? own : opts.lockexecPath;
  return [lockexec, lockFileOnHost(ctx, cmd.lockexec.lockFile), ...entry];
}

/**
 * The lock file on the node. Pods mount the lock directory from the host; a lock path on no volume
 * would be in the container's own filesystem, locking nothing anyone else sees — kept so (a private
 * file per container), not silently shared.
 */
function lockFileOnHost(ctx: ContainerContext, path: string): string {
  const mapped = ctx.node.containerPath(ctx.pod, ctx.container, path);
  if (mapped !== undefined) return mapped;
  ctx.log(`lock file ${path} is on no volume of the pod: it locks nothing shared`);
  return join(
    ctx.node.rootDir,
    'var/lib/bootkube-sim/containers',
    ctx.pod.metadata?.uid ?? 'pod',
    ctx.container.name,
    path,
  );
}

export interface ApiServerContainer extends RunningContainer {
  /** The process: lockexec while it waits for the lock, then (same PID) the stand-in API server. */
  readonly pid: number | undefined;
}

/** Starts the stand-in process for a recognised kube-apiserver container. */
export async function startApiServer(
  ctx: ContainerContext,
  cmd: RecognisedCommand,
  opts: ApiServerStandInOptions,
): Promise<ApiServerContainer> {
  const argv = apiServerArgv(ctx, cmd, opts);
  if (opts.storage) return startInProcessApiServer(ctx, argv, !!cmd.lockexec, opts.storage);
  const flags = parseComponentFlags(argv.slice(argv.indexOf('--') + 1));
  const caFile = flags.get('client-ca-file');
  const ca = caFile ? await readFile(caFile, 'utf8').catch(() => undefined) : undefined;
  const host = probeHost(flags.get('bind-address') ?? '0.0.0.0');
  const port = Number(flags.get('secure-port') ?? 6443);

  const child = spawn(argv[0]!, argv.slice(1), {
    // The pipe on stdin ties the stand-in to this process: if the simulation dies, it exits too.
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, BOOTKUBE_SIM_PARENT_PIPE: '1' },
  });
  for (const stream of [child.stdout!, child.stderr!]) {
    let buf = '';
    stream.setEncoding('utf8').on('data', (s: string) => {
      buf += s;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        ctx.log(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
  }
  let exitedFlag = false;
  const exited = new Promise<{ exitCode: number; reason?: string }>((resolveExit) => {
    child.once('error', (err) => {
      exitedFlag = true;
      ctx.log(`cannot start ${argv[0]}: ${err.message}`);
      resolveExit({ exitCode: 128, reason: 'StartError' });
    });
    child.once('exit', (code, sig) => {
      exitedFlag = true;
      const exitCode = code ?? 128 + (sig === 'SIGKILL' ? 9 : sig === 'SIGTERM' ? 15 : 1);
      resolveExit({ exitCode, reason: exitCode === 0 ? 'Completed' : 'Error' });
    });
  });
  const kill = (): void => void child.kill('SIGKILL');
  ctx.signal.addEventListener('abort', kill, { once: true });
  void exited.then(() => ctx.signal.removeEventListener('abort', kill));

  return {
    pid: child.pid,
    ready: () => (exitedFlag || !ca ? false : readyz(host, port, ca)),
    exited,
    async stop(graceMs) {
      if (exitedFlag) return;
      child.kill('SIGTERM');
      const grace = new AbortController();
      await Promise.race([exited, sleep(graceMs, grace.signal)]);
      grace.abort();
    },
  };
}

export function probeHost(bind: string): string {
  if (bind === '0.0.0.0' || bind === '') return '127.0.0.1';
  if (bind === '::') return '::1';
  return bind;
}

/**
 * GET /readyz over TLS, the serving certificate verified against the cluster CA. The host name is
 * not checked: the kubelet's own HTTPS probes check nothing at all, and a simulated master may
 * listen on an address the certificate does not name.
 */
export function readyz(host: string, port: number, ca: string): Promise<boolean> {
  return new Promise((resolveReady) => {
    const req = https.get(
      { host, port, path: '/readyz', ca, checkServerIdentity: () => undefined, timeout: 2000, agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolveReady(res.statusCode === 200));
        res.on('error', () => resolveReady(false));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolveReady(false));
  });
}
