// The simulated kubelet's pure parts: pod phases and conditions as the kubelet computes them, the
// strategic merge patches it sends, the crash-loop back-off on a fake clock, static-pod files, and
// client-go's query encoding.
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { encodeQuery } from '../../../src/sim/kubelet/api-client.js';
import { goDuration, parseDuration, RestartBackoff } from '../../../src/sim/kubelet/backoff.js';
import { FakeClock, microTime, rfc3339 } from '../../../src/sim/kubelet/clock.js';
import { generatePodStatus, podPhase, type ContainerRecord, type PodRecord } from '../../../src/sim/kubelet/pod-status.js';
import { readStaticPodDir } from '../../../src/sim/kubelet/static-pods.js';
import { nodeStatusPatch, podStatusPatch, stableStringify } from '../../../src/sim/kubelet/strategic-patch.js';

const T = '2025-01-01T00:00:00Z';
const pod = (spec: Record<string, unknown>) => ({ metadata: { name: 'p', namespace: 'default', uid: 'u1' }, spec: { containers: [{ name: 'c', image: 'nginx' }], ...spec } });
const rec = (containers: ContainerRecord[] = [], init: ContainerRecord[] = [], extra: Partial<PodRecord> = {}): PodRecord => ({
  hostIP: '10.0.0.10',
  podIP: '10.244.0.2',
  sandboxReady: true,
  init: new Map(init.map((c) => [c.name, c])),
  containers: new Map(containers.map((c) => [c.name, c])),
  terminal: false,
  ...extra,
});
const running = (name: string, ready = true): ContainerRecord => ({ name, image: 'nginx', imageID: 'x', state: { running: { startedAt: T } }, restartCount: 0, ready, started: true });
const exited = (name: string, exitCode: number): ContainerRecord => ({
  name,
  image: 'nginx',
  imageID: 'x',
  state: { terminated: { exitCode, reason: exitCode ? 'Error' : 'Completed', startedAt: T, finishedAt: T } },
  restartCount: 0,
  ready: false,
  started: false,
});

describe('pod status', () => {
  it('is Pending with the kubelet conditions in its order until the containers run', () => {
    const s = generatePodStatus(pod({}), rec([], [], { podIP: undefined, sandboxReady: false }), false);
    assert.equal(s.phase, 'Pending');
    assert.deepEqual(
      s.conditions.map((c: any) => `${c.type}=${c.status}`),
      ['PodReadyToStartContainers=False', 'Initialized=True', 'Ready=False', 'ContainersReady=False', 'PodScheduled=True'],
    );
    assert.equal(s.conditions[2].message, 'containers with unknown status: [c]');
    assert.deepEqual(s.containerStatuses[0].state, { waiting: { reason: 'ContainerCreating' } });
    assert.equal(s.podIP, undefined);
  });

  it('is Running and Ready once every container runs and is ready', () => {
    const s = generatePodStatus(pod({}), rec([running('c')]), false);
    assert.equal(s.phase, 'Running');
    assert.ok(s.conditions.every((c: any) => c.status === 'True'));
    assert.deepEqual(s.podIPs, [{ ip: '10.244.0.2' }]);
  });

  it('holds Initialized false naming the init containers still to complete', () => {
    const p = pod({ initContainers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'x' }] });
    const s = generatePodStatus(p, rec([], [exited('a', 0), running('b')]), false);
    assert.equal(s.phase, 'Pending');
    const init = s.conditions.find((c: any) => c.type === 'Initialized');
    assert.equal(init.reason, 'ContainersNotInitialized');
    assert.equal(init.message, 'containers with incomplete status: [b]');
    assert.deepEqual(s.containerStatuses[0].state, { waiting: { reason: 'PodInitializing' } });
  });

  it('follows getPhase for exited containers under each restart policy', () => {
    assert.equal(podPhase(pod({ restartPolicy: 'Always' }), rec([exited('c', 1)]), false), 'Running');
    assert.equal(podPhase(pod({ restartPolicy: 'Never' }), rec([exited('c', 1)]), false), 'Failed');
    assert.equal(podPhase(pod({ restartPolicy: 'OnFailure' }), rec([exited('c', 0)]), false), 'Succeeded');
    assert.equal(podPhase(pod({ restartPolicy: 'OnFailure' }), rec([exited('c', 2)]), false), 'Running');
    // A deleted pod is terminal: its phase follows the exit codes whatever the policy (1.27+).
    assert.equal(podPhase(pod({}), rec([exited('c', 0)], [], { terminal: true }), false), 'Succeeded');
    assert.equal(podPhase(pod({}), rec([exited('c', 137)], [], { terminal: true }), false), 'Failed');
    // ...except a static pod's (#116484).
    assert.equal(podPhase(pod({}), rec([exited('c', 0)], [], { terminal: true }), true), 'Running');
    // A failed init container under Never fails the pod.
    assert.equal(podPhase(pod({ restartPolicy: 'Never', initContainers: [{ name: 'i', image: 'x' }] }), rec([], [exited('i', 1)]), false), 'Failed');
  });

  it('reports PodCompleted on the readiness conditions of a succeeded pod', () => {
    const s = generatePodStatus(pod({}), rec([exited('c', 0)], [], { terminal: true, sandboxReady: false }), false);
    assert.equal(s.phase, 'Succeeded');
    const by = Object.fromEntries(s.conditions.map((c: any) => [c.type, c]));
    assert.equal(by.Ready.reason, 'PodCompleted');
    assert.equal(by.ContainersReady.reason, 'PodCompleted');
    assert.equal(by.Initialized.status, 'True');
    assert.equal(by.PodReadyToStartContainers.status, 'False');
  });
});

describe('strategic merge patches', () => {
  const cond = (type: string, status: string, extra: Record<string, unknown> = {}) => ({ type, status, lastProbeTime: null, lastTransitionTime: T, ...extra });

  it('sends changed conditions in $setElementOrder order, nulls for removed fields, and skips a UID-only patch', () => {
    const old = { phase: 'Pending', conditions: [cond('Initialized', 'True'), cond('Ready', 'False', { reason: 'ContainersNotReady', message: 'm' }), cond('PodScheduled', 'True')] };
    const now = { phase: 'Running', conditions: [cond('Initialized', 'True'), cond('Ready', 'True', { lastTransitionTime: '2025-01-01T00:01:00Z' }), cond('PodScheduled', 'True')] };
    const patch = podStatusPatch('u1', old, now)!;
    assert.equal(
      stableStringify(patch),
      '{"metadata":{"uid":"u1"},"status":{"$setElementOrder/conditions":[{"type":"Initialized"},{"type":"Ready"},{"type":"PodScheduled"}],' +
        '"conditions":[{"lastTransitionTime":"2025-01-01T00:01:00Z","message":null,"reason":null,"status":"True","type":"Ready"}],"phase":"Running"}}',
    );
    assert.equal(podStatusPatch('u1', now, structuredClone(now)), undefined);
  });

  it('treats a missing time and a null one as the same (Go decodes both to zero)', () => {
    const old = { conditions: [{ type: 'Ready', status: 'True' }] };
    const now = { conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null }] };
    assert.equal(podStatusPatch('u1', old, now), undefined);
  });

  it('replaces node addresses whole and leaves the spec alone', () => {
    const old = { metadata: { name: 'n' }, spec: { podCIDR: '10.2.0.0/24' }, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }], conditions: [cond('Ready', 'True', { lastHeartbeatTime: T })] } };
    const now = structuredClone(old) as any;
    now.spec = {};
    now.status.addresses = [{ type: 'InternalIP', address: '10.0.0.2' }, { type: 'Hostname', address: 'n' }];
    now.status.conditions[0].lastHeartbeatTime = '2025-01-01T00:00:10Z';
    const patch = nodeStatusPatch(old, now);
    assert.equal(patch.spec, undefined);
    assert.deepEqual(patch.status.addresses, [{ type: 'InternalIP', address: '10.0.0.2' }, { type: 'Hostname', address: 'n' }, { $patch: 'replace' }]);
    assert.deepEqual(patch.status.conditions, [{ lastHeartbeatTime: '2025-01-01T00:00:10Z', type: 'Ready' }]);
  });
});

describe('crash-loop back-off', () => {
  it('restarts at once, then waits 10 s doubling to 300 s, and forgives after 600 s up', async () => {
    const clock = new FakeClock();
    const b = new RestartBackoff(clock);
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      const finished = clock.now();
      waits.push(b.isInBackOffSince('k', finished) ? b.remaining('k', finished) : 0);
      b.next('k', finished);
      // a container that dies as soon as it is restarted
      await clock.advance(waits.at(-1)!);
    }
    assert.deepEqual(waits, [0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
    assert.equal(goDuration(b.get('k')), '5m0s');
    await clock.advance(601_000);
    assert.equal(b.isInBackOffSince('k', clock.now()), false);
  });

  it('parses Go durations for the annotations', () => {
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('soon'), undefined);
  });
});

describe('static pod files', () => {
  it('reads only dot-less regular files, in name order, with the file source defaults and a stable hash', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'static-'));
    try {
      const yaml = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: api\n  namespace: kube-system\nspec:\n  containers:\n  - name: c\n    image: registry.k8s.io/kube-apiserver:v1.32.4\n';
      await writeFile(join(dir, 'b-api.yaml'), yaml);
      await writeFile(join(dir, 'a-web.json'), JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } }));
      await writeFile(join(dir, '.hidden.yaml'), yaml.replace('api', 'hidden'));
      await writeFile(join(dir, 'broken.yaml'), 'kind: Deployment\n');
      await mkdir(join(dir, 'sub'));
      const { pods, errors } = await readStaticPodDir(dir, 'node-1');
      assert.deepEqual(pods.map((p) => `${p.metadata.namespace}/${p.metadata.name}`), ['default/web-node-1', 'kube-system/api-node-1']);
      assert.equal(errors.length, 2);
      const api = pods[1]!;
      assert.equal(api.metadata.annotations['kubernetes.io/config.hash'], api.metadata.uid);
      assert.equal(api.metadata.annotations['kubernetes.io/config.source'], 'file');
      assert.equal(api.spec.nodeName, 'node-1');
      assert.deepEqual(api.spec.tolerations, [{ operator: 'Exists', effect: 'NoExecute' }]);
      assert.equal(api.spec.containers[0].imagePullPolicy, 'IfNotPresent');
      assert.match(api.metadata.uid, /^[0-9a-f]{32}$/);
      // Same file, same node: same UID (a rebooted node runs the same pod); another node: another.
      assert.equal((await readStaticPodDir(dir, 'node-1')).pods[1]!.metadata.uid, api.metadata.uid);
      assert.notEqual((await readStaticPodDir(dir, 'node-2')).pods[1]!.metadata.uid, api.metadata.uid);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('wire formats', () => {
  it("encodes queries as client-go does: keys sorted, Go's QueryEscape", () => {
    assert.equal(encodeQuery({ resourceVersion: '0', limit: 500, fieldSelector: 'spec.clusterIP!=None' }), 'fieldSelector=spec.clusterIP%21%3DNone&limit=500&resourceVersion=0');
    assert.equal(encodeQuery({ fieldSelector: 'metadata.name=a b', resourceVersion: undefined }), 'fieldSelector=metadata.name%3Da+b');
  });

  it('writes MicroTime with six fractional digits and Time with whole seconds', () => {
    assert.equal(microTime(Date.UTC(2025, 0, 1, 0, 0, 0, 123)), '2025-01-01T00:00:00.123000Z');
    assert.equal(rfc3339(Date.UTC(2025, 0, 1, 0, 0, 0, 999)), '2025-01-01T00:00:00Z');
  });
});
