// The pure parts of recover, on snapshots built in memory: finding the control plane by selectors,
// and turning pod templates into bootstrap pods (what is kept, what is refused).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bootstrapPod } from '../../src/recovery/bootstrap-pods.js';
import { findControlPlane } from '../../src/recovery/control-plane.js';
import { byName, type KubeObject, type SourceSnapshot } from '../../src/recovery/types.js';

function workload(
  kind: string,
  name: string,
  labels: Record<string, string>,
  spec: Record<string, unknown>,
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: { name, namespace: 'kube-system', labels, uid: 'u-1', resourceVersion: '7', managedFields: [] },
    spec: {
      template: {
        metadata: { labels, annotations: { 'checkpointer.alpha.coreos.com/checkpoint': 'true' } },
        spec,
      },
    },
    status: { numberReady: 1 },
  };
}

const secret = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'kube-system' },
  data: {},
});

const podSpec = (secretName: string) => ({
  containers: [
    {
      name: 'c',
      image: 'img:1',
      command: ['run', '--flag=1'],
      ports: [{ containerPort: 6443 }],
      readinessProbe: { httpGet: { port: 6443 } },
      securityContext: { runAsUser: 65534, allowPrivilegeEscalation: false },
      volumeMounts: [{ name: 'secrets', mountPath: '/etc/kubernetes/secrets' }],
    },
  ],
  securityContext: { runAsNonRoot: true },
  nodeSelector: { 'node-role.kubernetes.io/control-plane': '' },
  volumes: [
    { name: 'secrets', secret: { secretName } },
    { name: 'scratch', emptyDir: {} },
  ],
});

function snapshot(
  workloads: KubeObject[],
  secrets = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'],
): SourceSnapshot {
  return {
    description: 'test',
    workloads,
    pods: [],
    secrets: byName(secrets.map(secret)),
    configMaps: new Map(),
    objectCount: workloads.length,
  };
}

const componentLabels = (app: string) => ({ component: app, tier: 'control-plane' });
const other = [
  workload('DaemonSet', 'kube-apiserver', componentLabels('kube-apiserver'), podSpec('kube-apiserver')),
  workload(
    'Deployment',
    'kube-controller-manager',
    componentLabels('kube-controller-manager'),
    podSpec('kube-controller-manager'),
  ),
  workload('Deployment', 'kube-scheduler', componentLabels('kube-scheduler'), podSpec('kube-scheduler')),
];

describe('findControlPlane', () => {
  test('other labels: refused by default, found with the selector flags', () => {
    assert.throws(
      () => findControlPlane(snapshot(other)),
      (e: any) => e.code === 'RECOVERY_NOT_BOOTKUBE',
      'k8s-app labels expected by default',
    );
    const plane = findControlPlane(snapshot(other), {
      apiserver: 'component=kube-apiserver',
      controllerManager: 'component=kube-controller-manager',
      scheduler: 'component=kube-scheduler',
    });
    assert.deepEqual(
      plane.components.map((c) => `${c.kind}/${c.name}`),
      ['DaemonSet/kube-apiserver', 'Deployment/kube-controller-manager', 'Deployment/kube-scheduler'],
      'all three',
    );
    const ds = plane.objects.find((o) => o.kind === 'DaemonSet')!;
    assert.deepEqual(
      [ds.metadata.uid, ds.metadata.resourceVersion, ds.metadata.managedFields, ds.status],
      [undefined, undefined, undefined, undefined],
      'cleaned',
    );
  });

  test('a selector matching two workloads is refused', () => {
    assert.throws(
      () =>
        findControlPlane(snapshot(other), {
          apiserver: 'tier=control-plane',
          controllerManager: 'component=kube-controller-manager',
          scheduler: 'component=kube-scheduler',
        }),
      (e: any) => e.code === 'RECOVERY_NOT_BOOTKUBE' && /matches 3 objects/.test(e.message),
      'ambiguous',
    );
  });

  test('a Secret the control plane mounts but the source lacks is named', () => {
    const sel = {
      apiserver: 'component=kube-apiserver',
      controllerManager: 'component=kube-controller-manager',
      scheduler: 'component=kube-scheduler',
    };
    assert.throws(
      () => findControlPlane(snapshot(other, ['kube-apiserver', 'kube-scheduler']), sel),
      (e: any) =>
        e.code === 'RECOVERY_INCOMPLETE' &&
        /uses Secret kube-system\/kube-controller-manager/.test(e.message),
      'names the missing Secret',
    );
  });
});

describe('bootstrapPod', () => {
  const sel = {
    apiserver: 'component=kube-apiserver',
    controllerManager: 'component=kube-controller-manager',
    scheduler: 'component=kube-scheduler',
  };
  test('keeps what runs, drops what a bootstrap pod must not have', () => {
    const plane = findControlPlane(snapshot(other), sel);
    const pod = bootstrapPod(plane.components[0]!) as any;
    assert.equal(pod.metadata.name, 'bootstrap-kube-apiserver', 'named like render names it');
    assert.deepEqual(
      pod.metadata.labels,
      { tier: 'control-plane', 'k8s-app': 'bootstrap-kube-apiserver' },
      'not the selector',
    );
    assert.equal(pod.metadata.annotations, undefined, 'no checkpoint annotation');
    const c = pod.spec.containers[0];
    assert.deepEqual([c.image, c.command], ['img:1', ['run', '--flag=1']], 'same image and flags');
    assert.deepEqual([c.ports, c.readinessProbe], [undefined, undefined], 'no ports, no probes');
    assert.deepEqual(
      c.securityContext,
      { allowPrivilegeEscalation: false },
      'only the run-as fields dropped',
    );
    assert.deepEqual(
      [pod.spec.securityContext, pod.spec.nodeSelector],
      [undefined, undefined],
      'root, no nodeSelector',
    );
    assert.deepEqual(
      pod.spec.volumes,
      [
        { name: 'secrets', hostPath: { path: '/etc/kubernetes/bootstrap-secrets', type: 'Directory' } },
        { name: 'scratch', emptyDir: {} },
      ],
      'Secret → bootstrap-secrets, emptyDir kept',
    );
  });

  test('refuses what start cannot install: another Secret, a ConfigMap volume, env from a Secret', () => {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['other secret', podSpec('my-own-secret'), /mounts Secret my-own-secret/],
      [
        'configmap',
        { ...podSpec('kube-apiserver'), volumes: [{ name: 'cfg', configMap: { name: 'kube-apiserver' } }] },
        /configMap volume/,
      ],
      [
        'env',
        {
          containers: [
            {
              name: 'c',
              image: 'i',
              env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'kube-apiserver', key: 'k' } } }],
            },
          ],
        },
        /env X of container c/,
      ],
    ];
    for (const [what, spec, pattern] of cases) {
      const w = workload('DaemonSet', 'kube-apiserver', componentLabels('kube-apiserver'), spec);
      const component = {
        role: 'apiserver' as const,
        name: 'kube-apiserver',
        namespace: 'kube-system',
        kind: 'DaemonSet',
        template: (w.spec as any).template,
      };
      assert.throws(
        () => bootstrapPod(component),
        (e: any) => e.code === 'RECOVERY_INCOMPLETE' && pattern.test(e.message),
        what,
      );
    }
  });
});
