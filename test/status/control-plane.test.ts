// The judgement of `status` on lists of objects (no cluster): what each state of a master, a pod,
// a checkpoint and a workload is reported as.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assessControlPlane } from '../../src/status/index.js';

const master = (name: string, ready = true): any => ({
  metadata: { name, labels: { 'node-role.kubernetes.io/control-plane': '' } },
  status: {
    conditions: [
      {
        type: 'Ready',
        status: ready ? 'True' : 'False',
        reason: ready ? 'KubeletReady' : 'NodeStatusUnknown',
      },
    ],
  },
});

const pod = (
  name: string,
  app: string,
  node: string,
  o: {
    ready?: boolean;
    annotations?: Record<string, string>;
    owner?: any;
    waiting?: string;
    phase?: string;
  } = {},
): any => ({
  metadata: {
    name,
    labels: { 'k8s-app': app },
    annotations: o.annotations ?? {},
    ...(o.owner ? { ownerReferences: [{ controller: true, ...o.owner }] } : {}),
  },
  spec: { nodeName: node, containers: [{ name: app }] },
  status: {
    phase: o.phase ?? 'Running',
    conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
    containerStatuses: [
      {
        name: app,
        ready: o.ready !== false,
        restartCount: o.waiting ? 4 : 0,
        state: o.waiting ? { waiting: { reason: o.waiting } } : { running: {} },
      },
    ],
  },
});

const ds = (name: string, n = 1): any => ({
  metadata: { name, uid: `${name}-uid` },
  status: { desiredNumberScheduled: n, numberReady: n, updatedNumberScheduled: n, numberAvailable: n },
});
const deploy = (name: string, available = 2): any => ({
  metadata: { name },
  spec: { replicas: 2 },
  status: { readyReplicas: available, updatedReplicas: 2, availableReplicas: available },
});

const healthyPods = () => [
  pod('kube-apiserver-a', 'kube-apiserver', 'm0', { owner: { kind: 'DaemonSet', name: 'kube-apiserver' } }),
  pod('kube-scheduler-a', 'kube-scheduler', 'm0'),
  pod('kube-scheduler-b', 'kube-scheduler', 'm0'),
  pod('kube-controller-manager-a', 'kube-controller-manager', 'm0'),
  pod('kube-controller-manager-b', 'kube-controller-manager', 'm0'),
  pod('pod-checkpointer-a', 'pod-checkpointer', 'm0'),
];
const workloads = () => ({
  daemonSets: [ds('kube-apiserver'), ds('pod-checkpointer')],
  deployments: [deploy('kube-scheduler'), deploy('kube-controller-manager')],
});

describe('assessControlPlane', () => {
  it('finds nothing wrong with a whole control plane', () => {
    const s = assessControlPlane({
      nodes: [master('m0'), { metadata: { name: 'worker' } }],
      pods: healthyPods(),
      ...workloads(),
    });
    assert.deepEqual(s.problems, []);
    assert.deepEqual(
      s.masters.map((m) => m.name),
      ['m0'],
    );
    assert.equal(s.masters[0]!.pods.length, 6);
  });

  it('says an apiserver checkpoint stands in when the self-hosted pod is gone, and that the DaemonSet has no pod there', () => {
    const pods = healthyPods().filter((p) => p.metadata.name !== 'kube-apiserver-a');
    pods.push(
      pod('kube-apiserver-a-m0', 'kube-apiserver', 'm0', {
        annotations: {
          'kubernetes.io/config.mirror': 'x',
          'checkpointer.alpha.coreos.com/checkpoint-of': 'kube-apiserver-a',
          'checkpointer.alpha.coreos.com/checkpoint-controller': 'DaemonSet/kube-apiserver/uid',
        },
      }),
    );
    const s = assessControlPlane({ nodes: [master('m0')], pods, ...workloads() });
    assert.equal(s.masters[0]!.pods.find((p) => p.kind === 'checkpoint')?.checkpoint?.state, 'standing-in');
    assert.deepEqual(s.problems, [
      'kube-apiserver on m0: no pod of daemonset/kube-apiserver (its checkpoint kube-apiserver-a-m0 stands in)',
      'kube-apiserver on m0 runs from its checkpoint kube-apiserver-a-m0: the self-hosted pod kube-apiserver-a does not run there',
    ]);
  });

  it('calls a checkpoint stale when a new pod of the same DaemonSet runs (another name)', () => {
    const pods = healthyPods();
    pods.push(
      pod('kube-apiserver-old-m0', 'kube-apiserver', 'm0', {
        annotations: {
          'kubernetes.io/config.mirror': 'x',
          'checkpointer.alpha.coreos.com/checkpoint-of': 'kube-apiserver-old',
          'checkpointer.alpha.coreos.com/checkpoint-controller': 'DaemonSet/kube-apiserver/uid',
        },
      }),
    );
    const s = assessControlPlane({ nodes: [master('m0')], pods, ...workloads() });
    assert.equal(s.problems.length, 1);
    assert.match(s.problems[0]!, /^checkpoint kube-apiserver-old-m0 on m0 is stale/);
  });

  it('reports a NotReady master, a crash-looping scheduler and a missing Deployment, and no master at all', () => {
    const pods = healthyPods().map((p) =>
      p.metadata.name === 'kube-scheduler-b'
        ? pod('kube-scheduler-b', 'kube-scheduler', 'm0', { ready: false, waiting: 'CrashLoopBackOff' })
        : p,
    );
    const s = assessControlPlane({
      nodes: [master('m0', false)],
      pods,
      daemonSets: workloads().daemonSets,
      deployments: [deploy('kube-scheduler', 1)],
    });
    assert.deepEqual(s.problems, [
      'master m0 is not Ready (NodeStatusUnknown)',
      'kube-scheduler: 1 of 2 available (kube-scheduler-b on m0: CrashLoopBackOff, 0/1 ready, 4 restarts)',
      'kube-controller-manager: kube-system has no DaemonSet or Deployment of that name',
    ]);
    const none = assessControlPlane({ nodes: [], pods: [], ...workloads() });
    assert.equal(
      none.problems[0],
      'no node is a master: none has the label node-role.kubernetes.io/control-plane',
    );
  });
});
