// The stand-in control plane of a simulated master, each component started from its rendered
// bootstrap pod through the stand-in runners: the apiserver stand-in (a real process behind the
// real lockexec, on a real etcd), and two controller-managers and two schedulers with short leases
// (their kubeconfigs from bootstrap-secrets). kubectl applies DaemonSets and Deployments; they end
// with the right pods Running on the right nodes, a template change rolls them, and after an
// apiserver hand-off, killing the leaders moves both Leases while reconciliation goes on.
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { standInRunners } from '../../../src/sim/standins/index.js';
import type { KObj, KubeClient } from '../../../src/sim/standins/client/client.js';
import type { RunningContainer } from '../../../src/sim/runtime.js';
import { startEtcd, type EtcdHandle } from '../../helpers/etcd.js';
import { buildLockexec } from '../../helpers/lockexec.js';
import { waitFor } from '../../helpers/wait.js';
import { adminClient, createNode, fakeKubelets, kubectl, nodeObject } from './cluster.js';
import {
  containerContext,
  nodeContext,
  renderNode,
  type RenderedNode,
  type TestContainer,
} from './support.js';

const CP = 'node-role.kubernetes.io/control-plane';
// Short enough for a quick failover, long enough to ride out an apiserver hand-off (~2 s here).
const FAST_LEASE = [
  '--leader-elect-lease-duration=5s',
  '--leader-elect-renew-deadline=4s',
  '--leader-elect-retry-period=250ms',
];

function manifests(version: number): string {
  return `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: default}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: agent, image: "example.com/agent:${version}", ports: [{containerPort: 9100, hostPort: 9100}]}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: cp-agent, namespace: default}
spec:
  selector: {matchLabels: {app: cp-agent}}
  template:
    metadata: {labels: {app: cp-agent}}
    spec:
      nodeSelector: {"${CP}": ""}
      tolerations: [{key: "${CP}", operator: Exists, effect: NoSchedule}]
      containers: [{name: a, image: "example.com/cp-agent:1"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 0, maxUnavailable: 1}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "example.com/web:${version}", ports: [{containerPort: 8080, hostPort: 8080}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: "example.com/api:1"}]
`;
}

let node: RenderedNode;
let etcd: EtcdHandle;
let lockexec: string;
let port: number;
let admin: KubeClient;
const stopAll = new AbortController();
const containers: Array<{ name: string; c: TestContainer; running: RunningContainer; alive: boolean }> = [];

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

type BootstrapPod =
  'bootstrap-kube-apiserver' | 'bootstrap-kube-controller-manager' | 'bootstrap-kube-scheduler';

/** A copy of a rendered bootstrap pod named `name` (leader election sped up), started through the stand-in runners. */
async function startStandIn(
  from: BootstrapPod,
  name: string,
): Promise<{ c: TestContainer; running: RunningContainer }> {
  const pod = node.pod(from) as V1Pod;
  pod.metadata = { ...pod.metadata, name, uid: `uid-${name}` };
  if (from !== 'bootstrap-kube-apiserver')
    pod.spec!.containers[0]!.command = [...pod.spec!.containers[0]!.command!, ...FAST_LEASE];
  const sim = nodeContext('master-1', node.rootDir, `https://127.0.0.1:${port}`);
  const c = containerContext(sim, pod, pod.spec!.containers[0]!.name);
  for (const run of standInRunners({
    lockexecPath: lockexec,
    backoff: { minMs: 50, maxMs: 500 },
    schedulerFlushIntervalMs: 2000,
  })) {
    const running = await run(c.ctx);
    if (running) {
      const entry = { name, c, running, alive: true };
      containers.push(entry);
      void running.exited.then(() => (entry.alive = false));
      // restartPolicy Always, as the kubelet applies it: a component that exits by itself (e.g.
      // leadership lost while the API was away) is started again; one the test killed is not.
      if (from !== 'bootstrap-kube-apiserver') {
        void running.exited.then(() => {
          if (!c.ctx.signal.aborted && !tearingDown) void startStandIn(from, `${name}+`);
        });
      }
      return { c, running };
    }
  }
  throw new Error(`no stand-in for ${name}`);
}

async function pods(app: string): Promise<KObj[]> {
  const list = await admin.get(`/api/v1/namespaces/default/pods?labelSelector=app%3D${app}`);
  return list.items ?? [];
}

const running = (p: KObj): boolean => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp;
const nodesOf = (ps: KObj[]): string[] => ps.map((p) => p.spec.nodeName).sort();

async function lease(name: string): Promise<KObj | undefined> {
  return admin
    .get(`/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${name}`)
    .catch(() => undefined);
}

/** The running container whose identity holds the Lease (a holder that has exited is waited out). */
async function leaderOf(leaseName: string): Promise<{ name: string; c: TestContainer; identity: string }> {
  let holder = '';
  const found = await waitFor(
    async () => {
      holder = (await lease(leaseName))?.spec?.holderIdentity ?? '';
      if (!holder) return undefined;
      return containers.find((x) => x.alive && x.c.logs.some((l) => l.includes(`stand-in ${holder}`)));
    },
    { timeoutMs: 15_000, intervalMs: 50, what: `a running holder of the ${leaseName} lease` },
  );
  return { name: found!.name, c: found!.c, identity: holder };
}

before(async () => {
  [etcd, lockexec, port] = await Promise.all([startEtcd(), buildLockexec(), freePort()]);
  node = await renderNode({
    nodeName: 'master-1',
    apiServer: `https://127.0.0.1:${port}`,
    etcdServer: etcd.endpoint,
  });
  const apiserver = await startStandIn('bootstrap-kube-apiserver', 'apiserver-a');
  await waitFor(() => apiserver.running.ready(), {
    timeoutMs: 20_000,
    intervalMs: 100,
    what: `the apiserver stand-in (${apiserver.c.logs.join(' | ')})`,
  });
  admin = await adminClient(node);
  await createNode(admin, nodeObject('master-1', { [CP]: '' }, [{ key: CP, effect: 'NoSchedule' }]));
  await createNode(admin, nodeObject('worker-1'));
  await createNode(admin, nodeObject('worker-2'));
  void fakeKubelets(admin, ['master-1', 'worker-1', 'worker-2'], stopAll.signal);
  await startStandIn('bootstrap-kube-controller-manager', 'kcm-a');
  await startStandIn('bootstrap-kube-controller-manager', 'kcm-b');
  await startStandIn('bootstrap-kube-scheduler', 'sched-a');
  await startStandIn('bootstrap-kube-scheduler', 'sched-b');
});

let tearingDown = false;

after(async () => {
  tearingDown = true;
  await Promise.all(
    containers.map(async ({ running: r, c }) => {
      await r.stop(2000);
      c.kill();
      await r.exited;
    }),
  );
  stopAll.abort();
  admin?.close();
  await etcd?.stop();
  await node?.cleanup();
});

describe('stand-in control plane', () => {
  it(
    'DaemonSets and Deployments applied with kubectl end Running on the right nodes',
    { timeout: 30_000 },
    async () => {
      await kubectl(node, ['apply', '-f', '-'], manifests(1));
      await waitFor(async () => (await pods('agent')).filter(running).length === 2, {
        timeoutMs: 15_000,
        what: 'agent pods Running',
      });
      const agents = await pods('agent');
      assert.deepEqual(nodesOf(agents), ['worker-1', 'worker-2'], 'the tainted master runs no agent');
      for (const p of agents) {
        // created unbound, pinned by node affinity, bound by the scheduler
        const pinned =
          p.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]
            .matchFields[0];
        assert.deepEqual(pinned, { key: 'metadata.name', operator: 'In', values: [p.spec.nodeName] });
        assert.equal(p.metadata.ownerReferences[0].kind, 'DaemonSet');
        assert.equal(p.metadata.ownerReferences[0].controller, true);
        assert.ok(p.metadata.labels['controller-revision-hash']);
        assert.ok(
          p.spec.tolerations.some(
            (t: KObj) => t.key === 'node.kubernetes.io/not-ready' && t.effect === 'NoExecute',
          ),
        );
      }
      await waitFor(async () => (await pods('cp-agent')).filter(running).length === 1, {
        timeoutMs: 10_000,
        what: 'cp-agent Running',
      });
      assert.deepEqual(nodesOf(await pods('cp-agent')), ['master-1']);
      // one web pod per worker: the host port keeps two off one node, the taint keeps them off the master
      await waitFor(async () => (await pods('web')).filter(running).length === 2, {
        timeoutMs: 10_000,
        what: 'web pods Running',
      });
      assert.deepEqual(nodesOf(await pods('web')), ['worker-1', 'worker-2']);
      const ds = (await waitFor(
        async (): Promise<KObj | undefined> => {
          const d = await admin.get('/apis/apps/v1/namespaces/default/daemonsets/agent');
          return d.status?.numberAvailable === 2 && d.status.observedGeneration === d.metadata.generation
            ? d
            : undefined;
        },
        { timeoutMs: 10_000, what: 'agent DaemonSet status' },
      )) as KObj;
      assert.equal(ds.status.desiredNumberScheduled, 2);
      assert.equal(ds.status.updatedNumberScheduled, 2);
      const web = (await waitFor(
        async (): Promise<KObj | undefined> => {
          const d = await admin.get('/apis/apps/v1/namespaces/default/deployments/web');
          return d.status?.availableReplicas === 2 &&
            (d.status.conditions ?? []).some((c: KObj) => c.reason === 'NewReplicaSetAvailable')
            ? d
            : undefined;
        },
        { timeoutMs: 10_000, what: 'web Deployment complete' },
      )) as KObj;
      assert.equal(web.metadata.annotations['deployment.kubernetes.io/revision'], '1');
      assert.deepEqual(web.status.conditions.map((c: KObj) => `${c.type}=${c.status}`).sort(), [
        'Available=True',
        'Progressing=True',
      ]);
    },
  );

  it('a template change rolls the DaemonSet and the Deployment', { timeout: 30_000 }, async () => {
    await kubectl(node, ['apply', '-f', '-'], manifests(2));
    const image = (p: KObj): string => p.spec.containers[0].image;
    await waitFor(
      async () => {
        const ps = (await pods('agent')).filter(running);
        return ps.length === 2 && ps.every((p) => image(p) === 'example.com/agent:2');
      },
      { timeoutMs: 20_000, what: 'agent rolled to :2' },
    );
    assert.deepEqual(nodesOf(await pods('agent')), ['worker-1', 'worker-2']);
    const revisions = (await admin.get('/apis/apps/v1/namespaces/default/controllerrevisions')).items.filter(
      (r: KObj) => r.metadata.name.startsWith('agent-'),
    );
    assert.deepEqual(revisions.map((r: KObj) => r.revision).sort(), [1, 2]);
    await waitFor(
      async () => {
        const ps = (await pods('web')).filter(running);
        return ps.length === 2 && ps.every((p) => image(p) === 'example.com/web:2');
      },
      { timeoutMs: 20_000, what: 'web rolled to :2' },
    );
    const sets = (await admin.get('/apis/apps/v1/namespaces/default/replicasets')).items.filter((r: KObj) =>
      r.metadata.name.startsWith('web-'),
    );
    assert.equal(sets.length, 2);
    const byRevision = Object.fromEntries(
      sets.map((r: KObj) => [r.metadata.annotations['deployment.kubernetes.io/revision'], r.spec.replicas]),
    );
    assert.deepEqual(byRevision, { '1': 0, '2': 2 });
    await waitFor(
      async () => {
        const d = await admin.get('/apis/apps/v1/namespaces/default/deployments/web');
        return (
          d.status?.updatedReplicas === 2 &&
          d.status.replicas === 2 &&
          (d.status.conditions ?? []).some((c: KObj) => c.reason === 'NewReplicaSetAvailable')
        );
      },
      { timeoutMs: 10_000, what: 'web rollout complete' },
    );
  });

  it(
    'through an apiserver hand-off, and killing the leaders, leadership moves and nothing stops',
    { timeout: 45_000 },
    async () => {
      // Hand-off: a second apiserver waits on the lock; the first one is stopped (SIGTERM) and it takes over.
      const next = await startStandIn('bootstrap-kube-apiserver', 'apiserver-b');
      const first = containers.find((x) => x.name === 'apiserver-a')!;
      await first.running.stop(10_000);
      assert.equal((await first.running.exited).exitCode, 0);
      await waitFor(() => next.running.ready(), {
        timeoutMs: 20_000,
        intervalMs: 100,
        what: 'the second apiserver after the hand-off',
      });

      const kcm = await leaderOf('kube-controller-manager');
      const sched = await leaderOf('kube-scheduler');
      const before = await lease('kube-controller-manager');
      assert.match(before!.spec.renewTime, /\.\d{6}Z$/, 'MicroTime with six fractional digits');
      const runningBefore = new Set(
        [...(await pods('agent')), ...(await pods('web'))].map((p) => p.metadata.uid),
      );
      kcm.c.kill();
      sched.c.kill();
      const killed = containers.filter((x) => x.name === kcm.name || x.name === sched.name);
      for (const k of killed) assert.equal((await k.running.exited).exitCode, 137, 'SIGKILL');
      const moved = (await waitFor(
        async (): Promise<KObj | undefined> => {
          const l = await lease('kube-controller-manager');
          return l?.spec?.holderIdentity !== kcm.identity ? l : undefined;
        },
        { timeoutMs: 10_000, what: 'controller-manager leadership to move' },
      )) as KObj;
      assert.equal(moved.spec.leaseTransitions, (before!.spec.leaseTransitions ?? 0) + 1);
      await waitFor(async () => (await lease('kube-scheduler'))?.spec?.holderIdentity !== sched.identity, {
        timeoutMs: 10_000,
        what: 'scheduler leadership to move',
      });
      // reconciliation goes on under the new leaders: a scale-up is created, scheduled and run
      // (`kubectl scale` needs PATCH on deployments/scale, which the API server does not serve yet)
      await kubectl(node, ['patch', 'deployment/api', '-p', '{"spec":{"replicas":4}}']);
      await waitFor(async () => (await pods('api')).filter(running).length === 4, {
        timeoutMs: 15_000,
        what: 'api scaled to 4 by the new leaders',
      });
      const runningAfter = new Set(
        [...(await pods('agent')), ...(await pods('web'))].map((p) => p.metadata.uid),
      );
      assert.deepEqual(runningAfter, runningBefore, 'no pod was replaced by the failover');
    },
  );
});
