/**
 * The kube-apiserver stand-in of the memory back end: there is no etcd for a stand-in process to
 * share, so the API server runs in the simulation's own process on the shared store. The lock is
 * still taken for real: the pod's own lockexec (the argv's prefix) blocks in flock(2) on the
 * node's lock file and then execs a holder (`sh -c 'echo locked; exec cat'`) that keeps the lock
 * until its stdin closes. The server listens only once the holder says it has the lock, and the
 * holder lets go only after the server has closed every connection: the hand-offs of DESIGN §3
 * happen as with the process stand-in, and /proc/locks shows the waiter and the holder.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { Storage } from '../../apiserver/storage/index.js';
import type { ContainerContext } from '../runtime.js';
import { probeHost, readyz, type ApiServerContainer } from './apiserver.js';
import { apiServerConfigFromFlags, runStandInApiServer } from './apiserver-process.js';
import { sleep } from './client/informer.js';

type Exit = { exitCode: number; reason?: string };

/**
 * `argv` is what the process stand-in would run: [lockexec, lock file,] entry…, '--', flags…;
 * `lockexec` says whether it starts with the lockexec pair.
 */
export async function startInProcessApiServer(
  ctx: ContainerContext,
  argv: readonly string[],
  withLockexec: boolean,
  storage: Storage,
): Promise<ApiServerContainer> {
  const cfg = apiServerConfigFromFlags(argv.slice(argv.indexOf('--') + 1));
  const ca = await readFile(cfg.clientCaFile, 'utf8').catch(() => undefined);
  const host = probeHost(cfg.bindAddress);
  const lockexec = withLockexec ? argv.slice(0, 2) : undefined;

  const term = new AbortController();
  let listening = false;
  let done = false;
  let holder: ReturnType<typeof spawn> | undefined;
  let holderExit: Promise<number> = Promise.resolve(0);
  let locked: Promise<boolean> = Promise.resolve(true);
  if (lockexec) {
    const child = spawn(lockexec[0]!, [lockexec[1]!, 'sh', '-c', 'echo locked; exec cat'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    holder = child;
    child.stderr!.setEncoding('utf8').on('data', (s: string) => ctx.log(s.trimEnd()));
    holderExit = new Promise((resolve) => {
      child.once('error', (err) => {
        ctx.log(`cannot start ${lockexec[0]}: ${err.message}`);
        resolve(128);
      });
      child.once('exit', (code, sig) => resolve(code ?? 128 + (sig === 'SIGKILL' ? 9 : 15)));
    });
    locked = new Promise((resolve) => {
      child.stdout!.setEncoding('utf8').once('data', () => resolve(true));
      void holderExit.then(() => resolve(false));
    });
  }
  let hasLock = !lockexec;
  void locked.then((yes) => (hasLock = yes));
  // A SIGTERM while lockexec still waits ends lockexec (its default action), as in a real pod.
  term.signal.addEventListener('abort', () => {
    if (!hasLock) holder?.kill('SIGTERM');
  });
  const kill = () => {
    term.abort();
    holder?.kill('SIGKILL');
  };
  ctx.signal.addEventListener('abort', kill, { once: true });

  const exited = (async (): Promise<Exit> => {
    if (!(await locked) || term.signal.aborted) {
      holder?.stdin!.end();
      const code = await holderExit;
      return { exitCode: ctx.signal.aborted ? 137 : code, reason: 'Error' };
    }
    // The holder dying (its lock gone) ends the server as the process stand-in's death would.
    void holderExit.then(() => term.abort());
    let failed = false;
    try {
      await runStandInApiServer(cfg, {
        signal: term.signal,
        log: ctx.log,
        storage,
        onListening: () => (listening = true),
      });
    } catch (err) {
      failed = true;
      ctx.log(`kube-apiserver: ${(err as Error).message}`);
    }
    listening = false;
    // Only now, with every connection closed, may the next apiserver have the lock.
    holder?.stdin!.end();
    const code = await holderExit;
    if (ctx.signal.aborted) return { exitCode: 137, reason: 'Error' };
    if (failed) return { exitCode: 1, reason: 'Error' };
    return { exitCode: code, reason: code === 0 ? 'Completed' : 'Error' };
  })().finally(() => {
    done = true;
    ctx.signal.removeEventListener('abort', kill);
  });

  return {
    pid: holder?.pid,
    ready: () => (!listening || done || !ca ? false : readyz(host, cfg.securePort, ca)),
    exited,
    async stop(graceMs) {
      if (done) return;
      term.abort();
      const grace = new AbortController();
      await Promise.race([exited, sleep(graceMs, grace.signal)]);
      grace.abort();
    },
  };
}
