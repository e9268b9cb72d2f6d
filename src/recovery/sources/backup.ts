/**
 * An etcd v3 snapshot file as a source: restored into a temp dir (`etcdutl snapshot restore` when
 * installed, else `etcdctl snapshot restore`), served by a private etcd on loopback with free
 * ports, read like a live etcd, then stopped and removed, also on errors and Ctrl-C.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { startEtcd, type EtcdHandle } from '../../etcd/local.js';
import { RecoveryBackupError, RecoveryToolError } from '../errors.js';
import type { SourceSnapshot } from '../types.js';
import { readEtcd } from './etcd.js';

export interface BackupSourceOptions {
  file: string;
  prefix?: string;
  /** Tests: called with the temp dir once it exists, to check it is gone afterwards. */
  onTempDir?: (dir: string) => void;
}

const MEMBER = 'bootkube-recover';

/** The kube-system snapshot held in the etcd snapshot `opts.file`. */
export async function readBackup(opts: BackupSourceOptions): Promise<SourceSnapshot> {
  const st = await stat(opts.file).catch((cause: NodeJS.ErrnoException) => {
    throw new RecoveryBackupError(
      `--etcd-backup-file ${opts.file}: ${cause.code === 'ENOENT' ? 'no such file' : cause.message}`,
      {
        hint: 'give the file `etcdctl snapshot save` wrote',
        cause,
      },
    );
  });
  if (!st.isFile()) throw new RecoveryBackupError(`--etcd-backup-file ${opts.file}: not a file`);
  const dir = await mkdtemp(join(tmpdir(), 'bootkube-recover-etcd-'));
  opts.onTempDir?.(dir);
  let etcd: EtcdHandle | undefined;
  // Ctrl-C (or SIGTERM) at any step: end that step (the restore is killed, the private etcd
  // stopped, which fails the read), remove everything in finally, then exit as a signal would.
  let interrupted: NodeJS.Signals | undefined;
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted = signal;
    abort.abort();
    void etcd?.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const dataDir = join(dir, 'data');
    await restore(opts.file, dataDir, abort.signal);
    if (!interrupted) etcd = await startEtcd({ dataDir, name: MEMBER });
    if (interrupted || !etcd) throw new Error('interrupted');
    return await readEtcd({
      endpoints: [etcd.endpoint],
      prefix: opts.prefix,
      description: `etcd backup ${opts.file}`,
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await etcd?.stop();
    await rm(dir, { recursive: true, force: true });
    // 128 + the signal's number, as a shell reports a process the signal ended.
    if (interrupted) process.exit(128 + (constants.signals[interrupted] ?? 2));
  }
}

async function restore(file: string, dataDir: string, signal: AbortSignal): Promise<void> {
  const tool = installed('etcdutl') ? 'etcdutl' : installed('etcdctl') ? 'etcdctl' : undefined;
  if (!tool) {
    throw new RecoveryToolError(
      'neither etcdutl nor etcdctl is installed: an etcd backup cannot be restored',
      {
        hint: 'install etcd-client (Debian: apt-get install -y etcd-client), or recover from --etcd-servers',
      },
    );
  }
  const r = await execa(
    tool,
    [
      'snapshot',
      'restore',
      file,
      `--data-dir=${dataDir}`,
      `--name=${MEMBER}`,
      // The restored member's peer URL is never dialled: the private etcd is a cluster of one.
      `--initial-cluster=${MEMBER}=http://localhost:2380`,
      '--initial-advertise-peer-urls=http://localhost:2380',
    ],
    { reject: false, env: { ETCDCTL_API: '3' }, timeout: 120_000, cancelSignal: signal },
  );
  if (r.exitCode === 0) return;
  const last = `${r.stderr}\n${r.stdout}`
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .filter((l) => !/^Deprecated:|etcdutl instead|^\{/i.test(l))
    .pop();
  throw new RecoveryBackupError(
    `--etcd-backup-file ${file}: not an etcd v3 snapshot (${tool}: ${shorten(last ?? `exit ${r.exitCode}`)})`,
    {
      hint: 'give the file `etcdctl snapshot save` wrote, or recover from --etcd-servers',
    },
  );
}

function installed(tool: string): boolean {
  const r = spawnSync(tool, ['version'], { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

function shorten(line: string): string {
  const text = line.replace(/^Error:\s*/, '');
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}
