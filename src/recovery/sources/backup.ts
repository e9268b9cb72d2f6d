/**
 * An etcd v3 snapshot file as a source: restored into a temp dir (`etcdutl snapshot restore` when
 * installed, else `etcdctl snapshot restore`), served by a private etcd on loopback with free
 * ports, read like a live etcd, then stopped and removed, also on errors and Ctrl-C.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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
  const cleanup = async () => {
    await etcd?.stop();
    await rm(dir, { recursive: true, force: true });
  };
  // Ctrl-C while the private etcd runs: stop it and remove the restored data, then die of SIGINT.
  const onSignal = (signal: NodeJS.Signals) => {
    void cleanup().finally(() => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.kill(process.pid, signal);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const dataDir = join(dir, 'data');
    await restore(opts.file, dataDir);
    etcd = await startEtcd({ dataDir, name: MEMBER });
    return await readEtcd({
      endpoints: [etcd.endpoint],
      prefix: opts.prefix,
      description: `etcd backup ${opts.file}`,
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanup();
  }
}

async function restore(file: string, dataDir: string): Promise<void> {
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
    { reject: false, env: { ETCDCTL_API: '3' }, timeout: 120_000 },
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
  const json = /"msg":"([^"]+)".*?(?:"error":"([^"]+)")?/.exec(line);
  const text = json ? [json[1], json[2]].filter(Boolean).join(': ') : line;
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}
