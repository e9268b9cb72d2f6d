// Validation and update preparation: the 422 causes as kube-apiserver words them, and the fields an
// update may not change.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FIXED,
  applyCreateDefaults,
  applyUpdateDefaults,
  invalidMessage,
  isNamespaceMismatch,
  reconcileNamespace,
  resource,
  validate,
} from './support.js';

const pods = resource('v1', 'pods');
const deployments = resource('apps/v1', 'deployments');
const services = resource('v1', 'services');

const SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

function pod(name = 'web', spec: object = { containers: [{ name: 'web', image: 'nginx:1.27' }] }) {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec };
}

describe('metadata', () => {
  test('a valid pod has no causes', () => {
    assert.deepEqual(validate(pods, pod()), []);
  });

  test('name required, then a DNS subdomain', () => {
    assert.deepEqual(validate(pods, { metadata: { namespace: 'default' }, spec: pod().spec }), [
      {
        field: 'metadata.name',
        type: 'FieldValueRequired',
        message: 'Required value: name or generateName is required',
      },
    ]);
    const causes = validate(pods, pod('Web_1'));
    assert.deepEqual(causes, [
      {
        field: 'metadata.name',
        type: 'FieldValueInvalid',
        message: `Invalid value: "Web_1": ${SUBDOMAIN_MESSAGE}`,
      },
    ]);
    assert.equal(
      invalidMessage('Pod', '', 'Web_1', causes),
      `Pod "Web_1" is invalid: metadata.name: Invalid value: "Web_1": ${SUBDOMAIN_MESSAGE}`,
    );
  });

  test('namespaces are DNS labels, services DNS-1035 labels, RBAC names path segments', () => {
    assert.equal(
      validate(resource('v1', 'namespaces'), { metadata: { name: 'a.b' } })[0]?.field,
      'metadata.name',
    );
    const svc = validate(services, {
      metadata: { name: '1web', namespace: 'default' },
      spec: { ports: [{ port: 80 }] },
    });
    assert.match(
      svc[0].message,
      /^Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters/,
    );
    assert.deepEqual(
      validate(resource('rbac.authorization.k8s.io/v1', 'clusterroles'), {
        metadata: { name: 'system:node' },
      }),
      [],
    );
    assert.deepEqual(
      validate(resource('rbac.authorization.k8s.io/v1', 'clusterroles'), { metadata: { name: 'a/b' } }),
      [
        {
          field: 'metadata.name',
          type: 'FieldValueInvalid',
          message: `Invalid value: "a/b": may not contain '/'`,
        },
      ],
    );
  });

  test('namespace required on namespaced kinds, forbidden on cluster ones', () => {
    assert.deepEqual(validate(pods, { metadata: { name: 'p' }, spec: pod().spec }), [
      { field: 'metadata.namespace', type: 'FieldValueRequired', message: 'Required value' },
    ]);
    assert.deepEqual(validate(resource('v1', 'nodes'), { metadata: { name: 'n', namespace: 'x' } }), [
      {
        field: 'metadata.namespace',
        type: 'FieldValueForbidden',
        message: 'Forbidden: not allowed on this type',
      },
    ]);
  });

  test('label keys and values', () => {
    const causes = validate(pods, {
      ...pod(),
      metadata: { name: 'p', namespace: 'd', labels: { 'a b': 'ok', ok: '-bad' } },
    });
    assert.deepEqual(
      causes.map((c) => [c.field, c.message.slice(0, 30)]),
      [
        ['metadata.labels', 'Invalid value: "a b": name par'],
        ['metadata.labels', 'Invalid value: "-bad": a valid'],
      ],
    );
  });

  test('the request namespace fills in, clears, or refuses', () => {
    const obj: { metadata: { namespace?: string } } = { metadata: {} };
    reconcileNamespace(pods, obj, 'default');
    assert.equal(obj.metadata.namespace, 'default');
    const node = { metadata: { namespace: 'x' } };
    reconcileNamespace(resource('v1', 'nodes'), node, undefined);
    assert.deepEqual(node.metadata, {});
    assert.throws(
      () => reconcileNamespace(pods, { metadata: { namespace: 'other' } }, 'default'),
      isNamespaceMismatch,
    );
  });
});

describe('pods', () => {
  test('containers required, each named once and with an image', () => {
    assert.deepEqual(validate(pods, pod('p', { containers: [] })), [
      { field: 'spec.containers', type: 'FieldValueRequired', message: 'Required value' },
    ]);
    assert.deepEqual(
      validate(pods, pod('p', { containers: [{ name: 'a' }, { name: 'a', image: 'x' }, { image: 'y' }] })),
      [
        { field: 'spec.containers[0].image', type: 'FieldValueRequired', message: 'Required value' },
        { field: 'spec.containers[1].name', type: 'FieldValueDuplicate', message: 'Duplicate value: "a"' },
        { field: 'spec.containers[2].name', type: 'FieldValueRequired', message: 'Required value' },
      ],
    );
    assert.deepEqual(
      validate(pods, pod('p', { containers: [{ name: 'a', image: 'x' }], restartPolicy: 'Sometimes' })),
      [
        {
          field: 'spec.restartPolicy',
          type: 'FieldValueNotSupported',
          message: 'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
        },
      ],
    );
  });

  test('an update may change images, not the rest of the spec', () => {
    const old = applyCreateDefaults(pods, pod(), FIXED) as ReturnType<typeof pod>;
    const newImage = structuredClone(old);
    (newImage.spec as { containers: { image: string }[] }).containers[0].image = 'nginx:1.28';
    assert.deepEqual(validate(pods, applyUpdateDefaults(pods, newImage, old), old), []);
    const newPort = structuredClone(old);
    (newPort.spec as { containers: { ports: object[] }[] }).containers[0].ports = [{ containerPort: 80 }];
    const causes = validate(pods, applyUpdateDefaults(pods, newPort, old), old);
    assert.equal(causes.length, 1);
    assert.equal(causes[0].field, 'spec');
    assert.equal(causes[0].type, 'FieldValueForbidden');
    assert.match(
      causes[0].message,
      /^Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`/,
    );
  });
});

describe('workloads and services', () => {
  const labels = { app: 'web' };
  const deployment = (selector: object | undefined, templateLabels: Record<string, string> = labels) => ({
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      selector,
      template: {
        metadata: { labels: templateLabels },
        spec: { containers: [{ name: 'web', image: 'x:1' }] },
      },
    },
  });

  test('selector required and matching the template labels', () => {
    assert.deepEqual(validate(deployments, deployment(undefined)), [
      { field: 'spec.selector', type: 'FieldValueRequired', message: 'Required value' },
    ]);
    assert.deepEqual(validate(deployments, deployment({ matchLabels: labels }, { app: 'other' })), [
      {
        field: 'spec.template.metadata.labels',
        type: 'FieldValueInvalid',
        message: 'Invalid value: {"app":"other"}: `selector` does not match template `labels`',
      },
    ]);
  });

  test('the selector of an apps/v1 workload is immutable', () => {
    const old = applyCreateDefaults(deployments, deployment({ matchLabels: labels }), FIXED);
    const changed = structuredClone(old) as ReturnType<typeof deployment>;
    changed.spec.selector = { matchLabels: { app: 'web', tier: 'x' } };
    changed.spec.template.metadata.labels = { app: 'web', tier: 'x' };
    assert.deepEqual(validate(deployments, changed, old), [
      {
        field: 'spec.selector',
        type: 'FieldValueInvalid',
        message: 'Invalid value: {"matchLabels":{"app":"web","tier":"x"}}: field is immutable',
      },
    ]);
  });

  test('a service keeps its cluster IP: left out it is carried over, changed it is refused', () => {
    const old = applyCreateDefaults(
      services,
      { metadata: { name: 'web', namespace: 'default' }, spec: { ports: [{ port: 80 }] } },
      { ...FIXED, allocateClusterIP: () => '10.96.0.10' },
    );
    const resent = applyUpdateDefaults(
      services,
      { metadata: { name: 'web', namespace: 'default' }, spec: { ports: [{ port: 80 }] } },
      old,
    ) as {
      spec: { clusterIP: string };
    };
    assert.equal(resent.spec.clusterIP, '10.96.0.10');
    assert.deepEqual(validate(services, resent, old), []);
    const moved = structuredClone(resent);
    moved.spec.clusterIP = '10.96.0.99';
    assert.deepEqual(
      validate(services, moved, old).map((c) => [c.field, c.message]),
      [['spec.clusterIPs[0]', 'Invalid value: ["10.96.0.10"]: may not change once set']],
    );
  });
});

describe('update preparation', () => {
  test('the main resource ignores status, /status ignores spec, generation follows the spec', () => {
    const old = applyCreateDefaults(
      deployments,
      {
        metadata: { name: 'web', namespace: 'default' },
        spec: {
          selector: { matchLabels: { a: 'b' } },
          template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x:1' }] } },
        },
      },
      FIXED,
    ) as { metadata: Record<string, unknown>; spec: { replicas: number }; status: object };
    const scaled = structuredClone(old);
    scaled.spec.replicas = 3;
    scaled.status = { replicas: 99 };
    const updated = applyUpdateDefaults(deployments, scaled, old) as typeof old;
    assert.equal(updated.metadata.generation, 2);
    assert.deepEqual(updated.status, {});
    assert.equal(updated.metadata.uid, old.metadata.uid);

    const statusOnly = structuredClone(old);
    statusOnly.spec.replicas = 7;
    statusOnly.status = { replicas: 1, observedGeneration: 1 };
    const status = applyUpdateDefaults(deployments, statusOnly, old, 'status') as typeof old;
    assert.equal(status.spec.replicas, 1);
    assert.deepEqual(status.status, { replicas: 1, observedGeneration: 1 });
    assert.equal(status.metadata.generation, 1);
  });

  test('a namespace keeps its finalizers on update', () => {
    const namespaces = resource('v1', 'namespaces');
    const old = applyCreateDefaults(namespaces, { metadata: { name: 'a' } }, FIXED);
    const updated = applyUpdateDefaults(
      namespaces,
      { metadata: { name: 'a' }, spec: { finalizers: [] } },
      old,
    ) as { spec: object };
    assert.deepEqual(updated.spec, { finalizers: ['kubernetes'] });
  });
});
