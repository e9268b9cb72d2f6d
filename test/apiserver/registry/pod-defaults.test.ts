// Pod create-time defaults: a minimal pod comes back as kube-apiserver 1.32 returns it. The expected
// objects are written from k/k:pkg/apis/core/v1/defaults.go, the pod strategy's PrepareForCreate and
// the Priority, DefaultTolerationSeconds and ServiceAccount admission plugins.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CREATED,
  FIXED,
  applyCreateDefaults,
  isForbidden,
  pullPolicyFor,
  qosClass,
  resource,
} from './support.js';

const pods = resource('v1', 'pods');
const DEFAULT_TOLERATIONS = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
];

function pod(spec: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', ...metadata },
    spec: { containers: [{ name: 'web', image: 'nginx:1.27' }], ...spec },
  };
}

describe('pod', () => {
  test('a minimal pod gets every default and server-set field', () => {
    assert.deepEqual(applyCreateDefaults(pods, pod(), FIXED), {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'default', ...CREATED },
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
        enableServiceLinks: true,
        preemptionPolicy: 'PreemptLowerPriority',
        priority: 0,
        restartPolicy: 'Always',
        schedulerName: 'default-scheduler',
        securityContext: {},
        terminationGracePeriodSeconds: 30,
        tolerations: DEFAULT_TOLERATIONS,
      },
      status: { phase: 'Pending', qosClass: 'BestEffort' },
    });
  });

  test('the input is not touched', () => {
    const input = pod();
    const copy = structuredClone(input);
    applyCreateDefaults(pods, input, FIXED);
    assert.deepEqual(input, copy);
  });

  test('a client-sent status, uid and timestamp are replaced', () => {
    const created = applyCreateDefaults(
      pods,
      {
        ...pod({}, { uid: 'mine', creationTimestamp: '2020-01-01T00:00:00Z' }),
        status: { phase: 'Running' },
      },
      FIXED,
    ) as { metadata: object; status: object };
    assert.deepEqual(created.status, { phase: 'Pending', qosClass: 'BestEffort' });
    assert.deepEqual(created.metadata, { name: 'web', namespace: 'default', ...CREATED });
  });

  test('imagePullPolicy: Always for :latest or no tag, else IfNotPresent', () => {
    assert.equal(pullPolicyFor('nginx'), 'Always');
    assert.equal(pullPolicyFor('nginx:latest'), 'Always');
    assert.equal(pullPolicyFor('registry.local:5000/nginx'), 'Always');
    assert.equal(pullPolicyFor('registry.local:5000/nginx:1.2'), 'IfNotPresent');
    assert.equal(pullPolicyFor('nginx@sha256:abcd'), 'IfNotPresent');
    assert.equal(pullPolicyFor('nginx:latest@sha256:abcd'), 'Always');
  });

  test('container ports, probes, volumes and env field refs get their defaults', () => {
    const created = applyCreateDefaults(
      pods,
      pod({
        hostNetwork: true,
        containers: [
          {
            name: 'web',
            image: 'nginx',
            ports: [{ containerPort: 8080 }],
            env: [{ name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }],
            livenessProbe: { httpGet: { port: 8080 } },
            readinessProbe: { grpc: { port: 9000 }, periodSeconds: 5 },
          },
        ],
        volumes: [
          { name: 'scratch' },
          { name: 'cfg', configMap: { name: 'c' } },
          { name: 'host', hostPath: { path: '/etc' } },
        ],
      }),
      FIXED,
    ) as { spec: { containers: Record<string, unknown>[]; volumes: unknown[] } };
    const c = created.spec.containers[0];
    assert.equal(c.imagePullPolicy, 'Always');
    assert.deepEqual(c.ports, [{ containerPort: 8080, protocol: 'TCP', hostPort: 8080 }]);
    assert.deepEqual(c.env, [
      { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace', apiVersion: 'v1' } } },
    ]);
    assert.deepEqual(c.livenessProbe, {
      httpGet: { port: 8080, path: '/', scheme: 'HTTP' },
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    });
    assert.deepEqual(c.readinessProbe, {
      grpc: { port: 9000, service: '' },
      timeoutSeconds: 1,
      periodSeconds: 5,
      successThreshold: 1,
      failureThreshold: 3,
    });
    assert.deepEqual(created.spec.volumes, [
      { name: 'scratch', emptyDir: {} },
      { name: 'cfg', configMap: { name: 'c', defaultMode: 420 } },
      { name: 'host', hostPath: { path: '/etc', type: '' } },
    ]);
  });

  test('QoS class from requests and limits (limits alone default the requests)', () => {
    const created = (resources: object) =>
      applyCreateDefaults(pods, pod({ containers: [{ name: 'a', image: 'x:1', resources }] }), FIXED) as {
        status: { qosClass: string };
        spec: { containers: { resources: unknown }[] };
      };
    const guaranteed = created({ limits: { cpu: '500m', memory: '1Gi' } });
    assert.equal(guaranteed.status.qosClass, 'Guaranteed');
    assert.deepEqual(guaranteed.spec.containers[0].resources, {
      limits: { cpu: '500m', memory: '1Gi' },
      requests: { cpu: '500m', memory: '1Gi' },
    });
    assert.equal(
      created({ requests: { cpu: '0.5', memory: '1073741824' }, limits: { cpu: '500m', memory: '1Gi' } })
        .status.qosClass,
      'Guaranteed',
    );
    assert.equal(created({ requests: { cpu: '100m' } }).status.qosClass, 'Burstable');
    assert.equal(
      created({ requests: { cpu: '100m', memory: '1Gi' }, limits: { cpu: '200m', memory: '1Gi' } }).status
        .qosClass,
      'Burstable',
    );
    assert.equal(
      qosClass({ containers: [{ resources: { requests: { 'example.com/gpu': '1' } } }] }),
      'BestEffort',
    );
  });

  test('priority from the priority class: system classes, a stored class, none', () => {
    const priorityOf = (name: string | undefined, opts = {}) => {
      const created = applyCreateDefaults(pods, pod(name ? { priorityClassName: name } : {}), {
        ...FIXED,
        ...opts,
      }) as {
        spec: { priority: number; preemptionPolicy: string };
      };
      return [created.spec.priority, created.spec.preemptionPolicy];
    };
    assert.deepEqual(priorityOf('system-node-critical'), [2000001000, 'PreemptLowerPriority']);
    assert.deepEqual(priorityOf('system-cluster-critical'), [2000000000, 'PreemptLowerPriority']);
    assert.deepEqual(priorityOf(undefined), [0, 'PreemptLowerPriority']);
    const priorityClass = (name: string) =>
      name === 'batch' ? { value: 1000, preemptionPolicy: 'Never' } : undefined;
    assert.deepEqual(priorityOf('batch', { priorityClass }), [1000, 'Never']);
    assert.throws(
      () => applyCreateDefaults(pods, pod({ priorityClassName: 'nope' }), FIXED),
      isForbidden('Priority', 'no PriorityClass with name nope was found'),
    );
    assert.throws(
      () => applyCreateDefaults(pods, pod({ priorityClassName: 'system-node-critical', priority: 5 }), FIXED),
      isForbidden(
        'Priority',
        'the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 2000001000 from the given PriorityClass name',
      ),
    );
  });

  test('a pod that tolerates everything gets no default tolerations', () => {
    const tolerations = [{ operator: 'Exists' }];
    const created = applyCreateDefaults(pods, pod({ tolerations }), FIXED) as {
      spec: { tolerations: unknown };
    };
    assert.deepEqual(created.spec.tolerations, tolerations);
  });

  test('ServiceAccount admission, when the handler looked the account up', () => {
    const created = applyCreateDefaults(pods, pod(), {
      ...FIXED,
      serviceAccount: {},
      randomSuffix: () => 'abcde',
    }) as {
      spec: {
        serviceAccountName: string;
        serviceAccount: string;
        volumes: unknown;
        containers: { volumeMounts: unknown }[];
      };
    };
    assert.equal(created.spec.serviceAccountName, 'default');
    assert.equal(created.spec.serviceAccount, 'default');
    assert.deepEqual(created.spec.volumes, [
      {
        name: 'kube-api-access-abcde',
        projected: {
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            {
              downwardAPI: {
                items: [
                  { path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
                ],
              },
            },
          ],
          defaultMode: 420,
        },
      },
    ]);
    assert.deepEqual(created.spec.containers[0].volumeMounts, [
      {
        name: 'kube-api-access-abcde',
        readOnly: true,
        mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
      },
    ]);
    const noToken = applyCreateDefaults(pods, pod({ automountServiceAccountToken: false }), {
      ...FIXED,
      serviceAccount: {},
    }) as {
      spec: { volumes?: unknown };
    };
    assert.equal(noToken.spec.volumes, undefined);
    assert.throws(
      () => applyCreateDefaults(pods, pod(), { ...FIXED, serviceAccount: null }),
      isForbidden(
        'ServiceAccount',
        'error looking up service account default/default: serviceaccount "default" not found',
      ),
    );
  });
});
