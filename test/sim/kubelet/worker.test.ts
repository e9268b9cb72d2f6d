// One pod's worker on a fake clock: image pull, start, the crash-loop back-off between restarts,
// readiness from the runner, a liveness kill, init containers in order, and graceful termination
// (SIGTERM, then SIGKILL at the end of the grace period). No API: the status is read as the
// kubelet would send it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { genericRunner } from '../../../src/sim/generic-runner.js';
import { RestartBackoff } from '../../../src/sim/kubelet/backoff.js';
import { FakeClock } from '../../../src/sim/kubelet/clock.js';
import { ContainerRuntime } from '../../../src/sim/kubelet/container-runtime.js';
import type { EventRecorder } from '../../../src/sim/kubelet/events.js';
import { ImagePuller } from '../../../src/sim/kubelet/images.js';
import { generatePodStatus } from '../../../src/sim/kubelet/pod-status.js';
import { PodWorker } from '../../../src/sim/kubelet/pod-worker.js';
import { nodeContext } from '../../../src/sim/node.js';

function harness(podSpec: Record<string, any>, annotations: Record<string, string> = {}) {
  const clock = new FakeClock();
  const runtime = new ContainerRuntime(nodeContext('n', '/tmp/none', 'https://127.0.0.1:6443'), clock, [genericRunner({ clock })]);
  const events: string[] = [];
  const recorder = { event: (_ref: unknown, _type: string, reason: string, message: string) => events.push(`${reason}: ${message}`) } as unknown as EventRecorder;
  const pod = { metadata: { name: 'p', namespace: 'default', uid: 'uid-1', annotations }, spec: { restartPolicy: 'Always', terminationGracePeriodSeconds: 30, ...podSpec } };
  let terminated = false;
  const worker = new PodWorker(
    pod,
    {
      clock,
      runtime,
      backoff: new RestartBackoff(clock),
      images: new ImagePuller({ clock, runtime, pullDelayMs: 1000, event: (_r, _t, reason, message) => events.push(`${reason}: ${message}`) }),
      events: recorder,
      hostIP: '10.0.0.10',
      sandboxDelayMs: 100,
      servicesSynced: () => true,
      onChange: () => undefined,
      onTerminated: () => (terminated = true),
    },
    true,
  );
  const status = () => generatePodStatus(worker.pod, worker.rec, false);
  const container = (name = 'c') => [...(status().initContainerStatuses ?? []), ...status().containerStatuses].find((c: any) => c.name === name);
  return { clock, runtime, worker, events, status, container, terminated: () => terminated };
}

describe('a pod worker', () => {
  it('pulls, starts, and restarts a crashing container behind the back-off (CrashLoopBackOff)', async () => {
    const h = harness({ containers: [{ name: 'c', image: 'busybox:1.36', imagePullPolicy: 'IfNotPresent' }] }, { 'sim.bootkube.dev/exit-after': '2s', 'sim.bootkube.dev/exit-code': '1' });
    h.worker.requestSync();
    await h.clock.advance(100 + 999);
    assert.deepEqual(h.container().state, { waiting: { reason: 'ContainerCreating' } });
    await h.clock.advance(1);
    assert.ok(h.container().state.running, 'running after the pull');
    assert.ok(h.events.includes('Pulling: Pulling image "busybox:1.36"'));
    // t=3.1 s: exits 1 → restarted at once (the first failure only arms 10 s).
    await h.clock.advance(2000);
    assert.equal(h.container().restartCount, 1);
    assert.equal(h.container().lastState.terminated.exitCode, 1);
    assert.ok(h.container().state.running);
    assert.ok(h.events.includes('Pulled: Container image "busybox:1.36" already present on machine'));
    // t=5.1 s: exits again → CrashLoopBackOff for 10 s.
    await h.clock.advance(2000);
    assert.equal(h.container().state.waiting?.reason, 'CrashLoopBackOff');
    assert.match(h.container().state.waiting.message, /^back-off 10s restarting failed container=c pod=p_default\(uid-1\)$/);
    await h.clock.advance(9999);
    assert.equal(h.container().restartCount, 1);
    await h.clock.advance(1);
    assert.equal(h.container().restartCount, 2);
    assert.ok(h.container().state.running);
    // Next failure waits 20 s.
    await h.clock.advance(2000);
    assert.match(h.container().state.waiting.message, /^back-off 20s /);
    await h.clock.advance(20_000);
    assert.equal(h.container().restartCount, 3);
  });

  it('reports ready only once the readiness probe passes, and kills a container whose liveness fails', async () => {
    const probe = { periodSeconds: 10, failureThreshold: 3 };
    const h = harness(
      { containers: [{ name: 'c', image: 'nginx:1.27', imagePullPolicy: 'IfNotPresent', readinessProbe: { ...probe, initialDelaySeconds: 5 }, livenessProbe: probe }] },
      { 'sim.bootkube.dev/ready-after': '4s', 'sim.bootkube.dev/liveness-fail-after': '60s' },
    );
    h.runtime.addImage('nginx:1.27');
    h.worker.requestSync();
    await h.clock.advance(100);
    assert.equal(h.container().ready, false);
    assert.equal(h.status().phase, 'Running');
    await h.clock.advance(5000);
    assert.equal(h.container().ready, true);
    assert.equal(h.status().conditions.find((c: any) => c.type === 'Ready').status, 'True');
    // Liveness fails from 60 s; at the third failure in a row (80 s) the container is killed and restarted.
    await h.clock.advance(70_000);
    assert.equal(h.container().restartCount, 0);
    await h.clock.advance(10_000);
    assert.ok(h.events.some((e) => e === 'Killing: Container c failed liveness probe, will be restarted'));
    assert.equal(h.container().restartCount, 1);
  });

  it('runs init containers one by one before the containers', async () => {
    const h = harness({ initContainers: [{ name: 'a', image: 'x:1' }, { name: 'b', image: 'x:1' }], containers: [{ name: 'c', image: 'x:1' }] });
    h.runtime.addImage('x:1');
    h.worker.requestSync();
    await h.clock.advance(100);
    assert.ok(h.container('a').state.running);
    assert.deepEqual(h.container('b').state, { waiting: { reason: 'PodInitializing' } });
    await h.clock.advance(1000);
    assert.equal(h.container('a').state.terminated.reason, 'Completed');
    assert.ok(h.container('b').state.running);
    await h.clock.advance(1000);
    assert.ok(h.container().state.running);
    assert.equal(h.status().conditions.find((c: any) => c.type === 'Initialized').status, 'True');
  });

  it('stops containers within the grace period: SIGTERM, then SIGKILL for one that ignores it', async () => {
    const h = harness({ containers: [{ name: 'c', image: 'x:1' }, { name: 'stubborn', image: 'x:1' }] }, { 'sim.bootkube.dev/ignore-sigterm.stubborn': 'true' });
    h.runtime.addImage('x:1');
    h.worker.requestSync();
    await h.clock.advance(100);
    assert.equal(h.runtime.runningCount(), 2);
    h.worker.update({ ...h.worker.pod, metadata: { ...h.worker.pod.metadata, deletionTimestamp: 'now', deletionGracePeriodSeconds: 5 } });
    await h.clock.advance(0);
    assert.equal(h.container('c').state.terminated.exitCode, 0);
    assert.equal(h.runtime.runningCount(), 1);
    await h.clock.advance(5000);
    assert.equal(h.container('stubborn').state.terminated.exitCode, 137);
    assert.ok(h.terminated());
    assert.equal(h.status().phase, 'Failed');
    assert.equal(h.events.filter((e) => e.startsWith('Killing: Stopping container')).length, 2);
  });
});
