/**
 * `bootkube checkpoint` as a library call, wired to real sources: one per node (flock), the
 * identity from the downward API, an API and a kubelet on HTTPS with the node's certificate, a
 * container runtime that does not answer, and a clean end when its signal aborts.
 */
import assert from 'node:assert/strict';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { identityFromEnv, runCheckpointer, waitForLock } from '../../src/checkpointer/daemon.js';
import { CheckpointerEnvError } from '../../src/checkpointer/errors.js';
import { tryAcquire } from '../../src/lock/index.js';
import { ANNOTATIONS, API_SERVER_LOCK, LOCKEXEC, POD_CHECKPOINTER_LOCK } from '../../src/render/constants.js';
import { waitFor, within } from '../helpers/wait.js';
import { httpsFixtures, type HttpsFixtures } from './https-fixtures.js';

const quiet = { info() {}, warn() {} };
let dir: string;
let fx: HttpsFixtures;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'checkpointer-daemon-'));
  fx = await httpsFixtures(dir);
});
after(() => rm(dir, { recursive: true, force: true }));

describe('checkpointer daemon', () => {
  it('needs NODE_NAME, POD_NAME and POD_NAMESPACE', () => {
    assert.throws(
      () => identityFromEnv({ NODE_NAME: 'n', POD_NAME: 'p' }),
      (e: unknown) => {
        assert.ok(e instanceof CheckpointerEnvError);
        assert.equal(e.message, 'missing required environment variable: POD_NAMESPACE');
        return true;
      },
    );
    assert.deepEqual(identityFromEnv({ NODE_NAME: 'n', POD_NAME: 'p', POD_NAMESPACE: 'ns' }), {
      nodeName: 'n',
      podName: 'p',
      podNamespace: 'ns',
    });
  });

  it('runs one per node: a second waits for the lock until the first lets it go', async () => {
    const path = join(dir, 'one/pod-checkpointer.lock');
    const first = await waitForLock(path, new AbortController().signal, quiet);
    assert.ok(first);
    const waiting = new AbortController();
    let second: Awaited<ReturnType<typeof waitForLock>>;
    const pending = waitForLock(path, waiting.signal, quiet, 20).then((l) => (second = l));
    assert.equal(await tryAcquire(path), undefined);
    await first.release();
    await within(pending, { timeoutMs: 5000, what: 'the second checkpointer to get the lock' });
    assert.ok(second!);
    await second!.release();
    const aborted = new AbortController();
    aborted.abort();
    assert.equal(await waitForLock(path, aborted.signal, quiet), undefined);
  });

  it('checkpoints what the node runs, never activates while the runtime is silent, and ends on abort', async () => {
    const pod = (name: string, command: string[]) => ({
      metadata: {
        name,
        namespace: 'kube-system',
        uid: `uid-${name}`,
        annotations: { [ANNOTATIONS.checkpoint]: 'true' },
      },
      spec: { nodeName: 'mynode', containers: [{ name: 'main', image: 'img', command }] },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    });
    const list = {
      kind: 'PodList',
      items: [
        pod('pod-checkpointer-abc', ['bootkube', 'checkpoint']),
        pod('kube-apiserver-xyz', [LOCKEXEC.podPath, API_SERVER_LOCK, 'kube-apiserver']),
      ],
    };
    const api = await fx.server(() => ({ status: 200, body: list }));
    const kubelet = await fx.server(() => ({ status: 200, body: list }));
    const root = join(dir, 'node');
    const stop = new AbortController();
    try {
      const running = runCheckpointer({
        rootDir: root,
        kubeconfig: await fx.kubeconfigPath(api.url),
        kubeletPort: Number(new URL(kubelet.url).port),
        containerRuntimeEndpoint: `unix://${join(dir, 'no-runtime.sock')}`,
        intervalMs: 20,
        env: { NODE_NAME: 'mynode', POD_NAME: 'pod-checkpointer-abc', POD_NAMESPACE: 'kube-system' },
        log: quiet,
        signal: stop.signal,
      });
      const active = join(root, 'etc/kubernetes/manifests');
      const inactive = join(root, 'etc/kubernetes/inactive-manifests');
      await waitFor(
        () =>
          access(join(active, 'kube-system-pod-checkpointer-abc.json')).then(
            () => true,
            () => false,
          ),
        { timeoutMs: 10_000, what: 'its own checkpoint, active' },
      );
      await waitFor(
        () =>
          access(join(inactive, 'kube-system-kube-apiserver-xyz.json')).then(
            () => true,
            () => false,
          ),
        { timeoutMs: 10_000, what: 'the apiserver checkpoint' },
      );
      // The runtime never answered: the apiserver's checkpoint is written but not started.
      await assert.rejects(access(join(active, 'kube-system-kube-apiserver-xyz.json')));
      const manifest = JSON.parse(
        await readFile(join(inactive, 'kube-system-kube-apiserver-xyz.json'), 'utf8'),
      );
      assert.equal(manifest.metadata.annotations[ANNOTATIONS.checkpointOf], 'kube-apiserver-xyz');
      assert.ok(
        api.seen.every(
          (s) =>
            s.user === 'system:node:mynode' && s.url === '/api/v1/pods?fieldSelector=spec.nodeName%3Dmynode',
        ),
      );
      assert.ok(kubelet.seen.some((s) => s.url === '/pods'));
      stop.abort();
      await within(running, { timeoutMs: 10_000, what: 'the checkpointer to end' });
      const lock = await tryAcquire(join(root, POD_CHECKPOINTER_LOCK));
      assert.ok(lock, 'the lock is free again');
      await lock.release();
    } finally {
      stop.abort();
      api.close();
      kubelet.close();
    }
  });
});
