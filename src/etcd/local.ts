/**
 * A private etcd (DESIGN.md §8) for tests, rehearsals (`start --simulate`) and recovery from a
 * snapshot: 127.0.0.1, free ports, a temp data dir, stopped by its PID, and never outliving this
 * process (an exit hook and a reaper shell kill it even after a kill -9).
 */
// Started with a 10 ms heartbeat and a 100 ms election timeout: a single member elects itself in
// tens of milliseconds instead of ~1 s, and etcd's minimum lease TTL drops from 2 s to 1 s, which
// keeps TTL tests short. etcd 3.4 has no --unsafe-no-fsync (3.5+); nothing else speeds it up safely.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { EtcdMissingError, EtcdStartError } from './errors.js';
import http from 'node:http';
import https from 'node:https';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * TLS on the client port. Paths only, so tests can pass certificates from `render` or from
 * makeEtcdTestPki(). With `trustedCaFile` etcd requires client certificates (--client-cert-auth).
 */
export interface EtcdTlsOptions {
  /** Server certificate and key etcd presents; the certificate must name IP 127.0.0.1. */
  certFile: string;
  keyFile: string;
  /** CA that signed the server certificate: what clients (and the readiness probe) trust. */
  caFile: string;
  /** CA that signs client certificates; set it to require client certificates. */
  trustedCaFile?: string;
  /** The client certificate the readiness probe presents; needed when trustedCaFile is set. */
  clientCertFile?: string;
  clientKeyFile?: string;
}

export interface StartEtcdOptions {
  tls?: EtcdTlsOptions;
  /** The member's name (default: test). */
  name?: string;
  /** The client port (default: a free one). */
  clientPort?: number;
  /** Keep the data dir here instead of a temp dir (it is then not removed on stop). */
  dataDir?: string;
  /** How long to wait for /health before giving up. */
  timeoutMs?: number;
}

export interface EtcdHandle {
  /** http://127.0.0.1:PORT, or https:// with tls. */
  readonly endpoint: string;
  readonly pid: number;
  readonly dataDir: string;
  /** etcd's own log (stdout and stderr), for failure messages. */
  readonly logFile: string;
  /** Milliseconds from spawn to the first healthy answer of the last (successful) attempt. */
  readonly startMs: number;
  /** SIGTERM, wait for the exit (SIGKILL after 5 s), remove the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** The last lines of the log, for assertion messages. */
  logTail(lines?: number): Promise<string>;
}

const live = new Set<{ child: ChildProcess; dir: string }>();
let exitHookInstalled = false;

/** Starts a private etcd and resolves once it answers /health; throws with the log tail if it does not. */
export async function startEtcd(opts: StartEtcdOptions = {}): Promise<EtcdHandle> {
  assertInstalled();
  let lastError: unknown;
  // A free port found by binding port 0 can be taken by someone else before etcd binds it: retry.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      lastError = err;
      if (!(err instanceof BindClash)) throw err;
    }
  }
  throw lastError;
}

class BindClash extends Error {}

/** Whether an `etcd` binary runs on this machine. */
export function etcdInstalled(): boolean {
  const probe = spawnSync('etcd', ['--version'], { stdio: 'ignore' });
  return !probe.error && probe.status === 0;
}

function assertInstalled(): void {
  if (!etcdInstalled()) {
    throw new EtcdMissingError('etcd is not installed or does not run', {
      hint: 'install it (Debian: apt-get install -y etcd-server etcd-client; or `npm run setup:test`)',
    });
  }
}

async function startOnce(opts: StartEtcdOptions): Promise<EtcdHandle> {
  const dir = await mkdtemp(join(tmpdir(), 'bootkube-etcd-'));
  const dataDir = opts.dataDir ?? join(dir, 'data');
  const logFile = join(dir, 'etcd.log');
  const [freeClient, peerPort] = await freePorts(2);
  const clientPort = opts.clientPort ?? freeClient!;
  const scheme = opts.tls ? 'https' : 'http';
  const endpoint = `${scheme}://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const args = [
    `--name=${opts.name ?? 'test'}`,
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${endpoint}`,
    `--advertise-client-urls=${endpoint}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=${opts.name ?? 'test'}=${peer}`,
    '--initial-cluster-state=new',
    '--heartbeat-interval=10',
    '--election-timeout=100',
    // Small backend quota: a runaway test fills it quickly and fails loudly instead of the disk.
    '--quota-backend-bytes=268435456',
    '--logger=zap',
    '--log-level=warn',
    ...tlsArgs(opts.tls),
  ];
  const log = await open(logFile, 'a');
  const started = Date.now();
  let child: ChildProcess;
  try {
    child = spawn('etcd', args, { stdio: ['ignore', log.fd, log.fd] });
  } finally {
    await log.close();
  }
  const entry = { child, dir };
  live.add(entry);
  installExitHook();
  const reaper = startReaper(child.pid!, dir);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      live.delete(entry);
      reaper.stdin?.end('done\n');
      await rm(dir, { recursive: true, force: true });
    })());
  const logTail = async (lines = 20): Promise<string> => {
    const text = await readFile(logFile, 'utf8').catch(() => '');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  };

  const deadline = started + (opts.timeoutMs ?? 20_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const tail = await logTail();
      await stop();
      if (/address already in use/.test(tail)) throw new BindClash(tail);
      throw new EtcdStartError(`etcd exited during start (${child.exitCode ?? child.signalCode}):\n${tail}`);
    }
    if (await healthy(endpoint, opts.tls)) break;
    if (Date.now() > deadline) {
      const tail = await logTail();
      await stop();
      throw new EtcdStartError(
        `etcd did not answer ${endpoint}/health within ${opts.timeoutMs ?? 20_000} ms:\n${tail}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
  return { endpoint, pid: child.pid!, dataDir, logFile, startMs: Date.now() - started, stop, logTail };
}

function tlsArgs(tls: EtcdTlsOptions | undefined): string[] {
  if (!tls) return [];
  const args = [`--cert-file=${tls.certFile}`, `--key-file=${tls.keyFile}`];
  if (tls.trustedCaFile) args.push(`--trusted-ca-file=${tls.trustedCaFile}`, '--client-cert-auth=true');
  return args;
}

/** Ports that were free a moment ago, all different (the listeners stay open until all are known). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, async () => {
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      return server;
    }),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

async function healthy(endpoint: string, tls: EtcdTlsOptions | undefined): Promise<boolean> {
  const url = `${endpoint}/health`;
  const tlsOpts = tls
    ? {
        ca: await readFile(tls.caFile),
        cert: tls.clientCertFile ? await readFile(tls.clientCertFile) : undefined,
        key: tls.clientKeyFile ? await readFile(tls.clientKeyFile) : undefined,
      }
    : {};
  return new Promise((resolve) => {
    const get = tls ? https.get : http.get;
    const req = get(url, { ...tlsOpts, timeout: 1000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (s: string) => (body += s));
      res.on('end', () => resolve(res.statusCode === 200 && /"health":\s*"true"/.test(body)));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

// Covers normal exits and uncaught exceptions: kill what is still running, synchronously.
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const { child, dir } of live) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

// Covers what the exit hook cannot: a test process killed by a signal (the runner's timeout, kill -9).
// A detached shell holds the read end of a pipe from this process; when this process dies without
// saying "done", the pipe closes and the shell kills etcd by its PID and removes the temp dir.
function startReaper(pid: number, dir: string): ChildProcess {
  const script = 'read -r line; if [ "$line" != done ]; then kill -9 "$1" 2>/dev/null; rm -rf "$2"; fi';
  const reaper = spawn('sh', ['-c', script, 'reaper', String(pid), dir], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  reaper.unref();
  // The pipe must not keep the event loop alive either.
  (reaper.stdin as unknown as { unref?: () => void }).unref?.();
  reaper.stdin?.on('error', () => {});
  return reaper;
}
