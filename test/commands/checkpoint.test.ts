import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Checkpoint from '../../src/commands/checkpoint.js';
import { loadClusterConfig } from '../../src/config/index.js';
import { render } from '../../src/render/render.js';
import { lockIsFree } from '../lock/support.js';
import { REPO_ROOT, runCommand } from '../helpers/run-command.js';
import { waitFor } from '../helpers/wait.js';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'checkpoint-cmd-'));
});
after(() => rm(work, { recursive: true, force: true }));

describe('bootkube checkpoint', () => {
  it('refuses to start without its downward-API environment, with one line', async () => {
    const saved = process.env.NODE_NAME;
    delete process.env.NODE_NAME;
    try {
      const r = await runCommand(Checkpoint, ['--root-dir', work]);
      assert.equal(r.exitCode, 2);
      assert.match(r.stderr, /^Error: missing required environment variable: NODE_NAME: /);
      assert.equal(r.stderr.trimEnd().split('\n').length, 1);
    } finally {
      if (saved !== undefined) process.env.NODE_NAME = saved;
    }
  });

  it('refuses a grace period that is not a duration', async () => {
    const r = await runCommand(Checkpoint, ['--checkpoint-grace-period', '5']);
    assert.equal(r.exitCode, 2);
    assert.match(r.stderr, /^Error: --checkpoint-grace-period "5": not a duration: give a unit/);
  });

  it('as installed (without the CLI framework), refuses bad flags with one line and exit 2', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/dev.js'), 'checkpoint', ...args], {
          env: { ...process.env, NODE_NAME: 'master-0', POD_NAME: 'p', POD_NAMESPACE: 'kube-system' },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
        child.on('close', (code) => resolve({ code, stderr }));
      });
    for (const [args, message] of [
      [['--interval', 'soon'], /^Error: --interval "soon": not a duration/],
      [
        ['--kubelet-port', '70000'],
        /^Error: --kubelet-port "70000": not a port: give a number from 1 to 65535$/,
      ],
      [['--no-such-flag'], /^Error: Unknown option '--no-such-flag'.*: see `bootkube checkpoint --help`$/],
    ] as const) {
      const r = await run([...args]);
      assert.equal(r.code, 2, r.stderr);
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, message);
    }
  });

  it('holds the node lock while it runs with no API server, and exits 0 on SIGTERM, releasing it', async () => {
    const root = join(work, 'node');
    const assets = join(work, 'assets');
    const config = await loadClusterConfig({
      flags: { 'key-type': 'ecdsa-p256', 'node-name': 'master-0', 'api-servers': 'https://127.0.0.1:1' },
      bootkubeVersion: '0.0.0',
    });
    await render({ config, assetDir: assets, force: false });
    await mkdir(join(root, 'etc/kubernetes'), { recursive: true });
    await cp(join(assets, 'auth/kubeconfig-kubelet'), join(root, 'etc/kubernetes/kubeconfig'));
    const child = spawn(
      process.execPath,
      [
        join(REPO_ROOT, 'bin/dev.js'),
        'checkpoint',
        '--root-dir',
        root,
        '--interval',
        '1s',
        '--container-runtime-endpoint',
        `unix://${join(root, 'no-runtime.sock')}`,
      ],
      {
        env: {
          ...process.env,
          NODE_NAME: 'master-0',
          POD_NAME: 'pod-checkpointer-abcde',
          POD_NAMESPACE: 'kube-system',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const lock = join(root, 'var/lock/bootkube/pod-checkpointer.lock');
      await waitFor(async () => (await import('node:fs')).existsSync(lock) && !lockIsFree(lock), {
        timeoutMs: 20_000,
        what: `the lock (stderr: ${stderr})`,
      });
      child.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
      assert.equal(lockIsFree(lock), true, 'the lock is released');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
