// Create-time defaults of services, namespaces, workloads and the rest: minimal objects come back as
// kube-apiserver 1.32 returns them (k/k:pkg/apis/*/v1/defaults.go and the kinds' strategies).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CREATED, FIXED, applyCreateDefaults, applyDefaults, resource } from './support.js';

test('a minimal service: ClusterIP, one allocated IP, single stack', () => {
  const created = applyCreateDefaults(
    resource('v1', 'services'),
    {
      metadata: { name: 'web', namespace: 'default' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    },
    { ...FIXED, allocateClusterIP: () => '10.96.0.10' },
  );
  assert.deepEqual(created, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default', ...CREATED },
    spec: {
      clusterIP: '10.96.0.10',
      clusterIPs: ['10.96.0.10'],
      internalTrafficPolicy: 'Cluster',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
      selector: { app: 'web' },
      sessionAffinity: 'None',
      type: 'ClusterIP',
    },
    status: { loadBalancer: {} },
  });
});

test('a NodePort service gets node ports and an external traffic policy; a headless one no IP', () => {
  const services = resource('v1', 'services');
  const nodePort = applyCreateDefaults(
    services,
    {
      metadata: { name: 'np', namespace: 'default' },
      spec: { type: 'NodePort', ports: [{ port: 80, targetPort: 'http' }] },
    },
    { ...FIXED, allocateClusterIP: () => '10.96.0.11', allocateNodePort: () => 30080 },
  ) as { spec: Record<string, unknown> };
  assert.deepEqual(nodePort.spec.ports, [{ port: 80, targetPort: 'http', protocol: 'TCP', nodePort: 30080 }]);
  assert.equal(nodePort.spec.externalTrafficPolicy, 'Cluster');
  const headless = applyCreateDefaults(
    services,
    { metadata: { name: 'h', namespace: 'default' }, spec: { clusterIP: 'None', selector: { app: 'x' } } },
    FIXED,
  ) as { spec: Record<string, unknown> };
  assert.deepEqual(headless.spec.clusterIPs, ['None']);
  assert.equal(headless.spec.ipFamilyPolicy, 'SingleStack');
});

test('a minimal namespace: name label, kubernetes finalizer, Active', () => {
  assert.deepEqual(
    applyCreateDefaults(resource('v1', 'namespaces'), { metadata: { name: 'team-a' } }, FIXED),
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'team-a', labels: { 'kubernetes.io/metadata.name': 'team-a' }, ...CREATED },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    },
  );
});

test('a minimal deployment: rolling update 25%/25%, pod template defaults, generation 1', () => {
  const labels = { app: 'web' };
  const created = applyCreateDefaults(
    resource('apps/v1', 'deployments'),
    {
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
      },
    },
    FIXED,
  );
  // kube-apiserver also writes template.metadata.creationTimestamp: null (a zero Go time); nothing reads it.
  assert.deepEqual(created, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', generation: 1, ...CREATED },
    spec: {
      progressDeadlineSeconds: 600,
      replicas: 1,
      revisionHistoryLimit: 10,
      selector: { matchLabels: labels },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'nginx:1.27',
              imagePullPolicy: 'IfNotPresent',
              resources: {},
              terminationMessagePath: '/dev/termination-log',
              terminationMessagePolicy: 'File',
            },
          ],
          dnsPolicy: 'ClusterFirst',
          restartPolicy: 'Always',
          schedulerName: 'default-scheduler',
          securityContext: {},
          terminationGracePeriodSeconds: 30,
        },
      },
    },
    status: {},
  });
});

test('daemonsets, statefulsets, secrets, storage classes and bindings get their defaults', () => {
  const template = { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x:1' }] } };
  const ds = applyCreateDefaults(
    resource('apps/v1', 'daemonsets'),
    { metadata: { name: 'd', namespace: 'n' }, spec: { template } },
    FIXED,
  ) as {
    metadata: { annotations: object };
    spec: Record<string, unknown>;
    status: object;
  };
  assert.deepEqual(ds.spec.updateStrategy, {
    type: 'RollingUpdate',
    rollingUpdate: { maxUnavailable: 1, maxSurge: 0 },
  });
  assert.deepEqual(ds.metadata.annotations, { 'deprecated.daemonset.template.generation': '1' });
  assert.deepEqual(ds.status, {
    currentNumberScheduled: 0,
    numberMisscheduled: 0,
    desiredNumberScheduled: 0,
    numberReady: 0,
  });

  const sts = applyDefaults(resource('apps/v1', 'statefulsets'), { spec: { template } }) as {
    spec: Record<string, unknown>;
  };
  assert.equal(sts.spec.podManagementPolicy, 'OrderedReady');
  assert.deepEqual(sts.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
  assert.deepEqual(sts.spec.persistentVolumeClaimRetentionPolicy, {
    whenDeleted: 'Retain',
    whenScaled: 'Retain',
  });

  assert.deepEqual(applyDefaults(resource('v1', 'secrets'), { stringData: { user: 'admin' } }), {
    type: 'Opaque',
    data: { user: 'YWRtaW4=' },
  });
  assert.deepEqual(applyDefaults(resource('storage.k8s.io/v1', 'storageclasses'), { provisioner: 'x' }), {
    provisioner: 'x',
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
  });
  assert.deepEqual(
    applyDefaults(resource('rbac.authorization.k8s.io/v1', 'clusterrolebindings'), {
      roleRef: { kind: 'ClusterRole', name: 'admin' },
      subjects: [
        { kind: 'User', name: 'u' },
        { kind: 'ServiceAccount', name: 's', namespace: 'n' },
      ],
    }),
    {
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' },
      subjects: [
        { kind: 'User', name: 'u', apiGroup: 'rbac.authorization.k8s.io' },
        { kind: 'ServiceAccount', name: 's', namespace: 'n' },
      ],
    },
  );
});

test('a CRD is established at once and its custom resources start without status', () => {
  const crd = applyCreateDefaults(
    resource('apiextensions.k8s.io/v1', 'customresourcedefinitions'),
    {
      metadata: { name: 'shirts.stable.example.com' },
      spec: {
        group: 'stable.example.com',
        scope: 'Namespaced',
        names: { plural: 'shirts', kind: 'Shirt' },
        versions: [{ name: 'v1', served: true, storage: true }],
      },
    },
    FIXED,
  ) as {
    spec: { names: object; conversion: object };
    status: { conditions: { type: string; status: string }[]; storedVersions: string[] };
  };
  assert.deepEqual(crd.spec.names, {
    plural: 'shirts',
    kind: 'Shirt',
    singular: 'shirt',
    listKind: 'ShirtList',
  });
  assert.deepEqual(crd.spec.conversion, { strategy: 'None' });
  assert.deepEqual(
    crd.status.conditions.map((c) => [c.type, c.status]),
    [
      ['NamesAccepted', 'True'],
      ['Established', 'True'],
    ],
  );
  assert.deepEqual(crd.status.storedVersions, ['v1']);
});
