/**
 * `bootkube preflight`: the checks a node must pass before `start`, each with a stable name, a
 * result and the fix (kubeadm's preflight, for bootkube's needs). Read-only: nothing is written,
 * no lock is taken, no port is held longer than the instant it takes to see it is free.
 */
import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { delimiter, dirname, join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { createStorage } from '../apiserver/storage/index.js';
import { loadAssetDir, type AssetDir } from '../bootstrap/asset-dir.js';
import { readyz } from '../bootstrap/probe.js';
import { etcdFromAssets } from '../bootstrap/sequence.js';
import type { EtcdAccess } from '../bootstrap/options.js';
import { checkExpiration } from '../certs/check.js';
import { DAY_MS } from '../certs/expiry.js';
import { readKubeconfig } from '../kubeconfig/index.js';
import { API_SERVER_LOCK, HOST_PATHS } from '../render/constants.js';

export type CheckStatus = 'ok' | 'warning' | 'error';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  message: string;
  fix?: string;
  /** An error the user chose to ignore (--ignore-preflight-errors). */
  ignored?: boolean;
}

export interface PreflightOptions {
  assetDir: string;
  /** Host paths live under it; '/' on a real master. */
  rootDir?: string;
  /** Default: the asset dir's apiserver flags and etcd client certificate. */
  etcd?: EtcdAccess;
  now?: Date;
  /** Certificates expiring within this many ms are a warning (default 30 days). */
  warnWithin?: number;
  /** Names of checks whose errors are ignored; 'all' ignores every one. */
  ignore?: string[];
}

export interface PreflightReport {
  checks: CheckResult[];
  /** No error that was not ignored. */
  ok: boolean;
  /** What the API address is: free, served by an API server of this cluster (start resumes), or held by another program. */
  apiPort: 'free' | 'serving' | 'held' | 'unknown';
}

export const CHECK_NAMES = [
  'asset-dir',
  'certificates',
  'clock',
  'etcd',
  'api-port',
  'kubelet-kubeconfig',
  'kubelet-config',
  'lock-dir',
  'swap',
  'binaries',
] as const;

type Check = (ctx: Ctx) => Promise<Omit<CheckResult, 'name'>>;
interface Ctx {
  o: PreflightOptions;
  root: string;
  now: Date;
  asset?: AssetDir;
  apiPort: PreflightReport['apiPort'];
}

const ok = (message: string) => ({ status: 'ok' as const, message });
const error = (message: string, fix: string) => ({ status: 'error' as const, message, fix });
const warning = (message: string, fix: string) => ({ status: 'warning' as const, message, fix });
const first = (e: unknown) => String((e as Error).message ?? e).split('\n')[0];

const CHECKS: Record<(typeof CHECK_NAMES)[number], Check> = {
  async 'asset-dir'(ctx) {
    try {
      ctx.asset = await loadAssetDir(ctx.o.assetDir, ctx.now);
      return ok(
        `${ctx.asset.bootstrapPods.length} bootstrap pods, ${ctx.asset.manifests.length} objects; chains verify, keys match`,
      );
    } catch (e) {
      return error(first(e), (e as { hint?: string }).hint ?? 'render the asset dir again');
    }
  },
  async certificates(ctx) {
    try {
      const report = await checkExpiration(ctx.o.assetDir, ctx.now, { text: '0', ms: 0 });
      if (report.failing.length)
        return error(
          `expired: ${report.failing.join(', ')}`,
          `bootkube certs renew ${report.failing.join(' ')} --asset-dir ${ctx.o.assetDir}`,
        );
      const within = ctx.o.warnWithin ?? 30 * DAY_MS;
      const soon = report.certificates
        .filter((c) => c.source === 'tls' && c.expiry.remainingSeconds * 1000 < within)
        .map((c) => c.name);
      if (soon.length)
        return warning(
          `expire within ${Math.round(within / DAY_MS)} days: ${soon.join(', ')}`,
          `bootkube certs renew ${soon.join(' ')} --asset-dir ${ctx.o.assetDir}`,
        );
      return ok(
        `${report.certificates.length} certificates valid for more than ${Math.round(within / DAY_MS)} days`,
      );
    } catch (e) {
      return error(first(e), 'render the asset dir again');
    }
  },
  async clock(ctx) {
    try {
      const ca = new X509Certificate(await readFile(join(ctx.o.assetDir, 'tls/ca.crt')));
      if (ctx.now < new Date(ca.validFrom))
        return error(
          `the clock (${ctx.now.toISOString()}) is before the CA was made (${new Date(ca.validFrom).toISOString()})`,
          'set the clock (timedatectl set-ntp true)',
        );
      return ok(`${ctx.now.toISOString()}, after the CA's start`);
    } catch (e) {
      return error(`cannot read tls/ca.crt: ${first(e)}`, 'render the asset dir again');
    }
  },
  async etcd(ctx) {
    let etcd: EtcdAccess;
    try {
      etcd = ctx.o.etcd ?? etcdFromAssets(ctx.asset ?? (await loadAssetDir(ctx.o.assetDir, ctx.now)));
    } catch (e) {
      return error(first(e), 'give --etcd-servers');
    }
    try {
      const storage = await createStorage({
        backend: 'etcd',
        endpoints: etcd.servers,
        caFile: etcd.caFile,
        certFile: etcd.certFile,
        keyFile: etcd.keyFile,
        requestTimeoutMs: 3000,
      });
      try {
        const rev = await storage.currentRevision();
        return ok(`${etcd.servers.join(',')} answers (revision ${rev})`);
      } finally {
        await storage.close();
      }
    } catch (e) {
      return error(
        `${etcd.servers.join(',')} does not answer: ${first(e)}`,
        'start etcd, or check --etcd-servers and the etcd CA and client certificate',
      );
    }
  },
  async 'api-port'(ctx) {
    const asset = ctx.asset;
    if (!asset) return error('no asset dir to read the API address from', 'fix the asset-dir check first');
    const url = asset.apiServer;
    if (await readyz({ server: url, servername: url.hostname, ca: asset.caPem })) {
      ctx.apiPort = 'serving';
      return ok(`${url.host} is served by an API server of this cluster: start resumes through it`);
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port || 443);
    const free = await new Promise<string | undefined>((resolve) => {
      const s = createServer();
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      s.listen(port, host, () => s.close(() => resolve(undefined)));
    });
    if (!free) {
      ctx.apiPort = 'free';
      return ok(`${url.host} is free`);
    }
    ctx.apiPort = free === 'EADDRINUSE' ? 'held' : 'unknown';
    if (free === 'EADDRINUSE')
      return error(
        `${url.host} is held by another program`,
        `find it with \`ss -ltnp 'sport = :${port}'\` and stop it`,
      );
    return error(`cannot bind ${url.host}: ${free}`, 'run on the master whose address the asset dir names');
  },
  async 'kubelet-kubeconfig'(ctx) {
    const file = join(ctx.root, HOST_PATHS.kubeletKubeconfig);
    try {
      const kc = await readKubeconfig(file);
      if (!kc.cert || !kc.key)
        return error(
          `${file} has no client certificate`,
          `install the asset dir's auth/kubeconfig-kubelet as ${HOST_PATHS.kubeletKubeconfig}`,
        );
      return ok(`${file} (server ${kc.server.origin})`);
    } catch (e) {
      const why = /ENOENT/.test(first(e)) ? 'is missing' : first(e);
      return error(
        `${file} ${why}`,
        `install the asset dir's auth/kubeconfig-kubelet as ${HOST_PATHS.kubeletKubeconfig}`,
      );
    }
  },
  async 'kubelet-config'(ctx) {
    const file = join(ctx.root, HOST_PATHS.kubeletDir, 'config.yaml');
    try {
      const text = await readFile(file, 'utf8');
      if (!/contentType:\s*application\/json/.test(text))
        return warning(
          `${file} does not set contentType: application/json`,
          "the shim refuses protobuf: install the asset dir's kubelet/config.yaml",
        );
      return ok(file);
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'is missing' : first(e);
      return error(`${file} ${why}`, `install the asset dir's kubelet/ folder as ${HOST_PATHS.kubeletDir}`);
    }
  },
  async 'lock-dir'(ctx) {
    const lock = join(ctx.root, API_SERVER_LOCK);
    // The nearest existing directory on the way to the lock file must be writable (it is created if missing).
    for (let dir = dirname(lock); ; dir = dirname(dir)) {
      try {
        if (!(await stat(dir)).isDirectory())
          return error(`${dir} is not a directory`, `remove it; start creates ${dirname(lock)}`);
        await access(dir, constants.W_OK);
        return ok(`${dirname(lock)} ${dir === dirname(lock) ? 'is writable' : `can be created in ${dir}`}`);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
          return error(`${dir} is not writable`, 'run as root, or give a writable --root-dir');
        if (dir === dirname(dir))
          return error(`no directory on the way to ${lock} exists`, 'check --root-dir');
      }
    }
  },
  async swap() {
    const text = await readFile('/proc/swaps', 'utf8').catch(() => '');
    const devices = text.trim().split('\n').slice(1).filter(Boolean);
    if (devices.length)
      return warning(
        `swap is on (${devices.map((d) => d.split(/\s+/)[0]).join(', ')})`,
        'swapoff -a, or set failSwapOn: false in the kubelet config',
      );
    return ok('no swap');
  },
  async binaries() {
    const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
    const missing: string[] = [];
    for (const bin of ['flock']) {
      const found = await Promise.any(dirs.map((d) => access(join(d, bin), constants.X_OK))).then(
        () => true,
        () => false,
      );
      if (!found) missing.push(bin);
    }
    if (missing.length) return error(`not installed: ${missing.join(', ')}`, 'install util-linux');
    return ok('flock');
  },
};

/** Runs every check (in order: later ones read what earlier ones found) and applies --ignore-preflight-errors. */
export async function runPreflight(o: PreflightOptions): Promise<PreflightReport> {
  const ctx: Ctx = { o, root: o.rootDir ?? '/', now: o.now ?? new Date(), apiPort: 'unknown' };
  const ignore = new Set(o.ignore ?? []);
  const checks: CheckResult[] = [];
  for (const name of CHECK_NAMES) {
    const r = await CHECKS[name](ctx);
    const ignored = r.status === 'error' && (ignore.has(name) || ignore.has('all'));
    checks.push({ name, ...r, ...(ignored ? { ignored: true } : {}) });
  }
  return { checks, ok: checks.every((c) => c.status !== 'error' || c.ignored), apiPort: ctx.apiPort };
}

/** The report as a table: one line per check, then the fixes. */
export function formatPreflight(r: PreflightReport): string {
  const mark = (c: CheckResult) => (c.status === 'ok' ? 'ok' : c.ignored ? 'ignored' : c.status);
  const width = Math.max(...r.checks.map((c) => c.name.length));
  const lines = r.checks.map((c) => `${c.name.padEnd(width)}  ${mark(c).padEnd(7)}  ${c.message}`);
  const fixes = r.checks.filter((c) => c.status !== 'ok' && c.fix).map((c) => `  ${c.name}: ${c.fix}`);
  return [...lines, ...(fixes.length ? ['', 'To fix:', ...fixes] : [])].join('\n');
}
