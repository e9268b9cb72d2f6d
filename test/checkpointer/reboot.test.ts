// Rehearsed master reboots (DESIGN §6, reference/bootkube-v0.14.md §5): a single master bootstrapped
// with `start` on the simulation and a real etcd, then rebooted — every pod dies, the kubelet comes
// back with only its static-pod dir. The checkpointed apiserver must bring the API back, the
// self-hosted apiserver pod must take over through the lock, the checkpoint must go inactive again,
// and at no instant may two apiservers hold the lock.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readyz, type ReadyzTarget } from '../../src/bootstrap/probe.js';
import { runStart } from '../../src/bootstrap/start.js';
import { HOST_PATHS } from '../../src/render/constants.js';
import { waitFor } from '../helpers/wait.js';
import {
  adminClient,
  isReady,
  rehearsal,
  startOptions,
  systemPods,
  watchLock,
  type RehearsalEnv,
} from '../bootstrap/support.js';

describe('a bootstrapped master, rebooted', { concurrency: 1 }, () => {
  let env: RehearsalEnv;
  let target: ReadyzTarget;
  let lock: ReturnType<typeof watchLock>;

  before(async () => {
    env = await rehearsal();
    await runStart(startOptions(env), { quiet: true });
    target = {
      server: env.apiServer,
      servername: env.apiServer.hostname,
      ca: await readFile(join(env.assetDir, 'tls/ca.crt')),
    };
    lock = watchLock(env);
  });
  after(async () => {
    await lock?.stop();
    await env?.stop();
  });

  const staticPods = () => readdir(join(env.nodeRoot, HOST_PATHS.staticPods));
  const apiserverActive = async () =>
    (await staticPods()).some((f) => f.startsWith('kube-system-kube-apiserver-'));

  /** Waits until the control plane is whole again: the self-hosted apiserver serving, its checkpoint inactive, every component Ready. */
  async function healthy(what: string, componentsTimeoutMs = 90_000): Promise<void> {
    await waitFor(async () => readyz(target), {
      timeoutMs: 60_000,
      intervalMs: 50,
      what: `the API after ${what}`,
    });
    await waitFor(async () => !(await apiserverActive()), {
      timeoutMs: 60_000,
      intervalMs: 100,
      what: `the apiserver checkpoint to go inactive after ${what}`,
    });
    const client = await adminClient(env);
    let last: any[] = [];
    try {
      await waitFor(
        async () => {
          last = (await systemPods(client).catch(() => [])).filter(
            (p) => !p.metadata.annotations?.['kubernetes.io/config.mirror'],
          );
          return ['kube-apiserver', 'kube-scheduler', 'kube-controller-manager', 'pod-checkpointer'].every(
            (app) =>
              last.some(
                (p) => p.metadata.labels?.['k8s-app'] === app && isReady(p) && !p.metadata.deletionTimestamp,
              ),
          );
        },
        {
          timeoutMs: componentsTimeoutMs,
          intervalMs: 200,
          what: `every control-plane component Ready after ${what}`,
        },
      ).catch((err: Error) => {
        const states = last.map(
          (p) =>
            `${p.metadata.name}: ${p.status?.phase} ready=${isReady(p)}${p.metadata.deletionTimestamp ? ' deleting' : ''} ${JSON.stringify((p.status?.containerStatuses ?? []).map((c: any) => c.state))}`,
        );
        throw new Error(`${err.message}; pods: ${states.join('; ')}`);
      });
    } finally {
      client.close();
    }
  }

  it('comes back through the checkpointed apiserver, then hands over to the self-hosted one', async () => {
    assert.equal(await apiserverActive(), false, 'the apiserver checkpoint is active before the reboot');
    await env.cluster.rebootNode(env.nodeName);
    // The checkpointer's own static copy starts first and activates the apiserver's checkpoint.
    await waitFor(apiserverActive, {
      timeoutMs: 60_000,
      intervalMs: 20,
      what: 'the apiserver checkpoint to be activated',
    });
    await waitFor(async () => readyz(target), {
      timeoutMs: 60_000,
      intervalMs: 50,
      what: 'the API from the checkpointed apiserver',
    });
    await healthy('the reboot');
  });

  it('survives two reboots in a row', async () => {
    await env.cluster.rebootNode(env.nodeName);
    await waitFor(async () => readyz(target), {
      timeoutMs: 60_000,
      intervalMs: 50,
      what: 'the API after the first reboot',
    });
    await env.cluster.rebootNode(env.nodeName);
    await healthy('the second reboot');
  });

  it('waits for an etcd that is slow to come back after the reboot', async () => {
    // etcd frozen (SIGSTOP): it accepts connections and answers nothing, as an etcd still replaying its log.
    process.kill(env.etcd!.pid, 'SIGSTOP');
    try {
      await env.cluster.rebootNode(env.nodeName);
      await waitFor(apiserverActive, {
        timeoutMs: 60_000,
        intervalMs: 20,
        what: 'the apiserver checkpoint to be activated',
      });
      await new Promise((r) => setTimeout(r, 3000));
      assert.equal(await readyz(target), false, 'the API answered ready while etcd was frozen');
    } finally {
      process.kill(env.etcd!.pid, 'SIGCONT');
    }
    await healthy('etcd came back');
  });

  it('comes back when the self-hosted apiserver pod is deleted (bootkube#267)', async () => {
    // The only apiserver goes away with its pod: the DaemonSet cannot make a new one until an API
    // answers again, so the checkpoint must bring one back, and the new DaemonSet pod take over.
    const client = await adminClient(env);
    let uid: string;
    try {
      const pod = (await systemPods(client)).find(
        (p) =>
          p.metadata.labels?.['k8s-app'] === 'kube-apiserver' &&
          !p.metadata.annotations?.['kubernetes.io/config.mirror'],
      );
      assert.ok(pod, 'no self-hosted apiserver pod');
      uid = pod.metadata.uid;
      const deleted = await client.request(
        'DELETE',
        `/api/v1/namespaces/kube-system/pods/${pod.metadata.name}`,
      );
      assert.equal(deleted.status, 200, `delete: ${deleted.status}`);
    } finally {
      client.close();
    }
    // Slow by nature, as on a real node: the kubelet learns of the deletion only after its watch got
    // 410 from the self-hosted apiserver, and client-go's reflector waits its back-off (800 ms
    // doubling to 30 s, +100 % jitter, reset only after 2 quiet minutes) before each relist; after
    // the hand-offs of start that back-off is already near its cap. Measured: 40-100 s.
    await healthy('the apiserver pod was deleted', 240_000);
    const after = await adminClient(env);
    try {
      const pods = (await systemPods(after)).filter(
        (p) =>
          p.metadata.labels?.['k8s-app'] === 'kube-apiserver' &&
          !p.metadata.annotations?.['kubernetes.io/config.mirror'] &&
          !p.metadata.deletionTimestamp,
      );
      assert.equal(pods.length, 1, `apiserver pods: ${pods.map((p) => p.metadata.name)}`);
      assert.notEqual(pods[0].metadata.uid, uid!, 'the deleted pod is still there');
    } finally {
      after.close();
    }
  });

  it('keeps the good checkpoint, and the API answering, when an apiserver update with a bad flag never becomes Ready', async () => {
    const client = await adminClient(env);
    const path = '/apis/apps/v1/namespaces/kube-system/daemonsets/kube-apiserver';
    const inactive = join(env.nodeRoot, HOST_PATHS.inactiveManifests);
    const checkpoint = async () => {
      const f = (await readdir(inactive)).find((n) => n.startsWith('kube-system-kube-apiserver-'));
      return f ? await readFile(join(inactive, f), 'utf8') : '';
    };
    try {
      const oldPod = (await systemPods(client)).find(
        (p) =>
          p.metadata.labels?.['k8s-app'] === 'kube-apiserver' &&
          !p.metadata.annotations?.['kubernetes.io/config.mirror'],
      );
      assert.ok(oldPod, 'no self-hosted apiserver pod');
      const ds = (await client.request('GET', path)).body;
      const good = ds.spec.template.spec.containers[0].command as string[];
      assert.match(await checkpoint(), /--secure-port=\d+/, 'no good checkpoint to begin with');
      const bad = good.map((a) => (a.startsWith('--secure-port=') ? '--secure-port=not-a-port' : a));
      // After the previous test the API may still change hands once (a request then gets no answer).
      const patched = (await waitFor(
        async () => {
          const a = await client.request('PATCH', path, {
            body: {
              spec: { template: { spec: { containers: [{ name: 'kube-apiserver', command: bad }] } } },
            },
            contentType: 'application/strategic-merge-patch+json',
          });
          return a.status === 0 ? undefined : a;
        },
        { timeoutMs: 60_000, intervalMs: 200, what: 'the API to answer the patch' },
      ))!;
      assert.equal(
        patched.status,
        200,
        `patch: ${patched.status} ${JSON.stringify(patched.body ?? null).slice(0, 200)}`,
      );
      // The rollout replaces the pod; the new one crashes on its flag. The API must come back (from the
      // checkpoint of the good version), and the checkpoint must never take the bad flag.
      const deadline = Date.now() + 60_000;
      let replaced = false;
      let answeredAfter = false;
      while (Date.now() < deadline && !answeredAfter) {
        assert.doesNotMatch(await checkpoint(), /not-a-port/, 'the bad version replaced the good checkpoint');
        if (!replaced) {
          const pods = await systemPods(client).catch(() => undefined);
          replaced = !!pods?.some(
            (p) =>
              p.metadata.labels?.['k8s-app'] === 'kube-apiserver' &&
              !p.metadata.annotations?.['kubernetes.io/config.mirror'] &&
              p.metadata.uid !== oldPod.metadata.uid,
          );
        } else if (await readyz(target)) answeredAfter = true;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(replaced, 'the rollout never replaced the apiserver pod');
      assert.ok(answeredAfter, 'the API did not answer after the bad pod replaced the good one');
      assert.doesNotMatch(await checkpoint(), /not-a-port/, 'the bad version replaced the good checkpoint');
    } finally {
      client.close();
    }
  });

  it('never let two processes hold the hand-off lock at once', async () => {
    const seen = await lock.stop();
    assert.ok(seen.samples > 100, `sampled only ${seen.samples} times`);
    assert.equal(seen.maxHolders, 1, `${seen.maxHolders} holders at once`);
  });
});
