// The kube-apiserver stand-in: the rendered bootstrap apiserver pod's command run through the real
// lockexec on the node's lock file, against a real etcd. It waits while util-linux flock holds the
// lock (seen as a waiter in /proc/locks), serves /readyz once the holder lets go, and a SIGTERM
// through stop() ends it and frees the lock.
import assert from 'node:assert/strict';
import { readdir, readlink } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { flockState, tryAcquire } from '../../../src/lock/index.js';
import { standInRunners, type ApiServerContainer } from '../../../src/sim/standins/index.js';
import { apiServerArgv } from '../../../src/sim/standins/apiserver.js';
import { recognise } from '../../../src/sim/standins/recognise.js';
import { startEtcd, type EtcdHandle } from '../../helpers/etcd.js';
import { buildLockexec } from '../../helpers/lockexec.js';
import { waitFor } from '../../helpers/wait.js';
import { containerContext, nodeContext, renderNode, type RenderedNode } from './support.js';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** PIDs with `file` open: whoever could keep the flock alive after the stand-in exits. */
async function openers(file: string): Promise<number[]> {
  const pids: number[] = [];
  for (const pid of (await readdir('/proc')).filter((d) => /^\d+$/.test(d))) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      if ((await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')) === file) {
        pids.push(Number(pid));
        break;
      }
    }
  }
  return pids;
}

let etcd: EtcdHandle;
let node: RenderedNode;
let lockexec: string;
let port: number;

before(async () => {
  [etcd, lockexec, port] = await Promise.all([startEtcd(), buildLockexec(), freePort()]);
  node = await renderNode({
    nodeName: 'master-1',
    apiServer: `https://127.0.0.1:${port}`,
    etcdServer: etcd.endpoint,
  });
});

after(async () => {
  await etcd?.stop();
  await node?.cleanup();
});

describe('kube-apiserver stand-in', () => {
  it('maps the pod command to lockexec, the node lock file and the stand-in with host paths', () => {
    const sim = nodeContext('master-1', node.rootDir, `https://127.0.0.1:${port}`);
    const { ctx } = containerContext(sim, node.pod('bootstrap-kube-apiserver'), 'kube-apiserver');
    const cmd = recognise(ctx.container)!;
    assert.equal(cmd.component, 'kube-apiserver');
    const argv = apiServerArgv(ctx, cmd, { lockexecPath: '/x/lockexec', bootkubeEntry: ['bootkube'] });
    assert.deepEqual(argv.slice(0, 6), [
      '/x/lockexec',
      join(node.rootDir, 'var/lock/bootkube/api-server.lock'),
      'bootkube',
      'sim',
      'apiserver',
      '--',
    ]);
    assert.ok(
      argv.includes(
        `--tls-cert-file=${join(node.rootDir, 'etc/kubernetes/bootstrap-secrets/apiserver.crt')}`,
      ),
    );
    assert.ok(argv.includes(`--etcd-servers=${etcd.endpoint}`));
    // flags the stand-in does not read pass through untouched
    assert.ok(argv.includes('--kubelet-client-key=/etc/kubernetes/secrets/apiserver-kubelet-client.key'));
  });

  it(
    'waits on the lock, serves /readyz after the hand-off, and frees the lock on SIGTERM',
    { timeout: 40_000 },
    async () => {
      const lockFile = join(node.rootDir, 'var/lock/bootkube/api-server.lock');
      const holder = await tryAcquire(lockFile);
      assert.ok(holder, 'util-linux flock takes the free lock');
      const sim = nodeContext('master-1', node.rootDir, `https://127.0.0.1:${port}`);
      const c = containerContext(sim, node.pod('bootstrap-kube-apiserver'), 'kube-apiserver');
      let running: ApiServerContainer | undefined;
      try {
        for (const run of standInRunners({ lockexecPath: lockexec })) {
          running = (await run(c.ctx)) as ApiServerContainer | undefined;
          if (running) break;
        }
        assert.ok(running?.pid, 'the apiserver runner took the container');
        const pid = running.pid;
        await waitFor(async () => (await flockState(lockFile)).waiters.includes(pid), {
          timeoutMs: 10_000,
          what: 'lockexec blocked on the lock',
        });
        assert.equal(await running.ready(), false, 'not ready while waiting for the lock');

        await holder.release();
        await waitFor(() => running!.ready(), {
          timeoutMs: 20_000,
          intervalMs: 100,
          what: `/readyz (logs: ${c.logs.join(' | ')})`,
        });
        // the process that took the lock is the one serving: lockexec exec'd, same PID
        assert.deepEqual((await flockState(lockFile)).holders, [pid]);
        // nothing the stand-in started (tsx's esbuild service) inherited the lock's descriptor
        assert.deepEqual(await openers(lockFile), [pid]);

        await running.stop(10_000);
        const exit = await running.exited;
        assert.equal(exit.exitCode, 0, c.logs.join('\n'));
        assert.deepEqual((await flockState(lockFile)).holders, []);
        const again = await tryAcquire(lockFile);
        assert.ok(again, 'the lock is free once the stand-in exited');
        await again.release();
      } finally {
        c.kill();
        await holder.release();
      }
    },
  );
});
