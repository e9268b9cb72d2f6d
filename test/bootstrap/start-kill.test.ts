// kill -9 of `bootkube start` at phase boundaries and in the middle of creating the self-hosted
// objects, then `start` again: every run ends healthy, nothing created twice, nothing lost. The
// simulated master and etcd live in this process and outlive the killed `start` as a real node's
// kubelet and etcd would.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runStart } from '../../src/bootstrap/start.js';
import { REPO_ROOT } from '../helpers/run-command.js';
import { waitFor } from '../helpers/wait.js';
import { adminClient, isReady, rehearsal, startOptions, systemPods, watchLock } from './support.js';

interface KillPoint {
  name: string;
  /** A line of the plain renderer's progress on stderr. */
  after: RegExp;
  delayMs?: number;
}

const POINTS: KillPoint[] = [
  { name: 'after taking the lock', after: /✔ Take the API hand-off lock/ },
  {
    name: 'after creating the bootstrap pods, before hand-off 1',
    after: /✔ Create the bootstrap control-plane pods/,
  },
  {
    name: 'in the middle of creating the self-hosted objects',
    after: /❯ Create the self-hosted control plane/,
    delayMs: 150,
  },
  { name: 'before hand-off 2', after: /✔ Wait for the self-hosted control plane/ },
  { name: 'in the middle of hand-off 2', after: /❯ Hand-off 2/, delayMs: 100 },
];

/** Runs start as a process and kills it with SIGKILL once `point` shows on its stderr; resolves with its stderr. */
function startAndKill(
  args: string[],
  point: KillPoint,
  signal: NodeJS.Signals = 'SIGKILL',
): Promise<{ killed: boolean; stderr: string; code: number | null }> {
  // Not under the test runner's eyes: the child shows its progress as a user's terminal-less run does.
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'bin/dev.js'), 'start', ...args],
    { cwd: REPO_ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  let killed = false;
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
    if (!killed && point.after.test(stderr)) {
      killed = true;
      setTimeout(() => child.kill(signal), point.delayMs ?? 0);
    }
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ killed, stderr, code })));
}

describe('Ctrl-C of start', () => {
  it('stops cleanly during hand-off 1, says how to resume, and the next run ends healthy', async () => {
    const env = await rehearsal();
    try {
      const args = [
        '--asset-dir',
        env.assetDir,
        '--root-dir',
        env.nodeRoot,
        '--node-name',
        env.nodeName,
        '--timeout',
        '90s',
      ];
      const first = await startAndKill(args, { name: 'hand-off 1', after: /❯ Hand-off 1/ }, 'SIGINT');
      assert.ok(first.killed, `start ended before hand-off 1: ${first.stderr}`);
      assert.equal(first.code, 1, first.stderr);
      assert.match(
        first.stderr,
        /^Error: interrupted: run the same `bootkube start` again to resume where it stopped$/m,
      );
      const again = await waitFor(
        async () =>
          runStart(startOptions(env), { quiet: true }).catch((err: { code?: string }) => {
            if (err.code === 'ALREADY_RUNNING') return undefined;
            throw err;
          }),
        { timeoutMs: 30_000, intervalMs: 500, what: 'the run lock to be free' },
      );
      assert.ok(again, 'no second run');
    } finally {
      await env.stop();
    }
  });
});

describe('kill -9 of start, then start again', { concurrency: 1 }, () => {
  for (const point of POINTS) {
    it(`${point.name}: the second run ends healthy with nothing created twice`, async () => {
      const env = await rehearsal();
      const lock = watchLock(env);
      try {
        const args = [
          '--asset-dir',
          env.assetDir,
          '--root-dir',
          env.nodeRoot,
          '--node-name',
          env.nodeName,
          '--timeout',
          '90s',
        ];
        const first = await startAndKill(args, point);
        assert.ok(first.killed, `start ended before ${point.after}: ${first.stderr}`);
        // The killed run's lock on the asset dir goes stale within seconds, as the error says.
        const again = await waitFor(
          async () =>
            runStart(startOptions(env), { quiet: true }).catch((err: { code?: string }) => {
              if (err.code === 'ALREADY_RUNNING') return undefined;
              throw err;
            }),
          { timeoutMs: 30_000, intervalMs: 500, what: 'the lock of the killed run to go stale' },
        );
        assert.ok(again, 'no second run');
        const created = again.objects.filter((o) => o.outcome === 'created').map((o) => o.object);
        assert.equal(new Set(created).size, created.length, `created twice in one run: ${created}`);
        const client = await adminClient(env);
        try {
          const pods = (await systemPods(client)).filter((p) => !p.metadata.deletionTimestamp);
          assert.deepEqual(
            pods.filter((p) => p.metadata.name.startsWith('bootstrap-')).map((p) => p.metadata.name),
            [],
            'bootstrap pods left',
          );
          for (const app of ['kube-apiserver', 'pod-checkpointer', 'kube-proxy']) {
            // The DaemonSet's pods; the checkpointer's own static copy (a mirror pod) always runs beside it.
            const mine = pods.filter(
              (p) =>
                p.metadata.labels?.['k8s-app'] === app &&
                !p.metadata.annotations?.['kubernetes.io/config.mirror'],
            );
            assert.equal(
              mine.length,
              1,
              `${app}: ${mine.length} pods of a DaemonSet on one node: ${mine.map((p) => `${p.metadata.name} (${p.metadata.annotations?.['kubernetes.io/config.mirror'] ? 'mirror' : 'api'})`).join(', ')}`,
            );
            assert.ok(isReady(mine[0]), `${app} is not Ready`);
          }
          for (const app of ['kube-scheduler', 'kube-controller-manager']) {
            assert.ok(
              pods.some((p) => p.metadata.labels?.['k8s-app'] === app && isReady(p)),
              `${app}: no Ready pod`,
            );
          }
        } finally {
          client.close();
        }
        const { maxHolders } = await lock.stop();
        assert.ok(maxHolders <= 1, `${maxHolders} processes held the hand-off lock at once`);
      } finally {
        await lock.stop();
        await env.stop();
      }
    });
  }
});
