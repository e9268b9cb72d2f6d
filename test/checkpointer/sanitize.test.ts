/**
 * From a parent pod to its checkpoint: v0.14's pod_test.go cases (reference §5.7) and our
 * additions (DESIGN.md §6): no Secret/ConfigMap/projected volume left (a mirror pod may reference
 * none), imagePullPolicy IfNotPresent, lockexec kept.
 */
import type { V1Pod } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { manifestBytes, sanitizeCheckpointPod } from '../../src/checkpointer/sanitize.js';
import {
  CHECKPOINT_CONTROLLER_ANNOTATION,
  isCheckpoint,
  isValidParent,
  podId,
  podUserAndGroup,
  selfPodName,
} from '../../src/checkpointer/pods.js';
import { manifestFileName } from '../../src/checkpointer/store.js';
import { referencesOf, type ResolvedObjects } from '../../src/checkpointer/volumes.js';
import { UncheckpointablePodError } from '../../src/checkpointer/errors.js';
import type { ObjectData } from '../../src/checkpointer/types.js';
import { ANNOTATIONS, API_SERVER_LOCK, HOST_PATHS, LOCKEXEC } from '../../src/render/constants.js';

const CP = ANNOTATIONS.checkpoint;
const CPOF = ANNOTATIONS.checkpointOf;
const pod = (extra: Partial<V1Pod> & { annotations?: Record<string, string> } = {}): V1Pod => ({
  metadata: { name: 'podname', namespace: 'podnamespace', uid: 'pod-uid', annotations: extra.annotations },
  spec: { containers: [{ name: 'c', image: 'img' }] },
  ...extra,
});

describe('sanitizeCheckpointPod (v0.14 TestSanitizeCheckpointPod)', () => {
  it('keeps name and namespace, adds checkpoint-of, owns the checkpoint by the parent', () => {
    const m = sanitizeCheckpointPod(pod()).manifest;
    assert.deepEqual(m.metadata, {
      name: 'podname',
      namespace: 'podnamespace',
      annotations: { [CPOF]: 'podname' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'podname', uid: 'pod-uid', controller: true }],
    });
    assert.equal(m.apiVersion, 'v1');
    assert.equal(m.kind, 'Pod');
  });
  it('drops every other annotation', () => {
    assert.deepEqual(
      sanitizeCheckpointPod(pod({ annotations: { [CP]: 'true', foo: 'bar' } })).manifest.metadata
        ?.annotations,
      { [CPOF]: 'podname' },
    );
  });
  it('resets the status', () => {
    assert.equal(
      sanitizeCheckpointPod(pod({ status: { phase: 'Running', podIP: '10.0.0.1' } })).manifest.status,
      undefined,
    );
  });
  it('clears the service account', () => {
    const p = pod();
    p.spec!.serviceAccountName = 'sa';
    p.spec!.serviceAccount = 'sa';
    const spec = sanitizeCheckpointPod(p).manifest.spec!;
    assert.equal(spec.serviceAccountName, undefined);
    assert.equal(spec.serviceAccount, undefined);
  });
  it('keeps the labels', () => {
    const p = pod();
    p.metadata!.labels = { 'k8s-app': 'kube-apiserver' };
    assert.deepEqual(sanitizeCheckpointPod(p).manifest.metadata?.labels, { 'k8s-app': 'kube-apiserver' });
  });
  it("replaces the parent's ownerReferences (its DaemonSet) by the parent itself, with the parent's type", () => {
    const p = pod({ apiVersion: 'v1', kind: 'Pod' });
    p.metadata!.ownerReferences = [
      { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'ds', uid: 'ds-uid', controller: true },
    ];
    const m = sanitizeCheckpointPod(p).manifest;
    assert.deepEqual(m.metadata?.ownerReferences, [
      { apiVersion: 'v1', kind: 'Pod', name: 'podname', uid: 'pod-uid', controller: true },
    ]);
    // Ours: the controller is remembered, so a DaemonSet's next pod can replace this checkpoint.
    assert.equal(m.metadata?.annotations?.[CHECKPOINT_CONTROLLER_ANNOTATION], 'DaemonSet/ds/ds-uid');
  });
  it('returns a pod that already is a checkpoint unchanged', () => {
    const p = pod({ annotations: { [CPOF]: 'podname' } });
    assert.equal(sanitizeCheckpointPod(p).manifest, p);
  });
});

describe('sanitizeCheckpointPod: what a static pod cannot have (ours)', () => {
  const apiserver = (): V1Pod => ({
    metadata: {
      name: 'kube-apiserver-x',
      namespace: 'kube-system',
      uid: 'u1',
      annotations: { [CP]: 'true' },
    },
    spec: {
      serviceAccountName: 'default',
      affinity: { nodeAffinity: {} },
      imagePullSecrets: [{ name: 'regcred' }],
      initContainers: [
        {
          name: 'install-lockexec',
          image: 'bootkube',
          imagePullPolicy: 'Always',
          command: ['cp', LOCKEXEC.imagePath, LOCKEXEC.podPath],
        },
      ],
      containers: [
        {
          name: 'kube-apiserver',
          image: 'registry.k8s.io/kube-apiserver:v1.32.0',
          command: [LOCKEXEC.podPath, API_SERVER_LOCK, 'kube-apiserver', '--secure-port=6443'],
          env: [
            { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
            { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'creds', key: 'token' } } },
            { name: 'GONE', valueFrom: { configMapKeyRef: { name: 'missing', key: 'x', optional: true } } },
          ],
          envFrom: [{ configMapRef: { name: 'settings' }, prefix: 'S_' }],
        },
      ],
      volumes: [
        { name: 'secrets', secret: { secretName: 'kube-apiserver', defaultMode: 0o440 } },
        {
          name: 'picked',
          secret: { secretName: 'kube-apiserver', items: [{ key: 'ca.crt', path: 'pki/ca.pem' }] },
        },
        { name: 'config', configMap: { name: 'settings' } },
        { name: 'lock', hostPath: { path: '/var/lock/bootkube', type: 'DirectoryOrCreate' } },
        { name: 'lockexec', emptyDir: {} },
        {
          name: 'kube-api-access-abcde',
          projected: {
            sources: [
              { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
              {
                downwardAPI: {
                  items: [
                    { path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
                  ],
                },
              },
            ],
          },
        },
      ],
    },
  });
  const resolved: ResolvedObjects = {
    secrets: new Map<string, ObjectData>([
      ['kube-apiserver', { 'ca.crt': Buffer.from('CA'), 'apiserver.key': Buffer.from('KEY') }],
      ['creds', { token: Buffer.from('s3cret') }],
    ]),
    configMaps: new Map<string, ObjectData>([
      ['settings', { mode: Buffer.from('fast') }],
      ['kube-root-ca.crt', { 'ca.crt': Buffer.from('ROOTCA') }],
    ]),
    tokens: new Map([['kube-api-access-abcde/token', 'header.claims.sig']]),
  };

  it('lists what must be fetched first', () => {
    assert.deepEqual(referencesOf(apiserver()), {
      secrets: ['creds', 'kube-apiserver'],
      configMaps: ['kube-root-ca.crt', 'missing', 'settings'],
      tokens: [
        { key: 'kube-api-access-abcde/token', projection: { path: 'token', expirationSeconds: 3607 } },
      ],
    });
  });

  it('turns Secret, ConfigMap and projected volumes into hostPaths to checkpointed files', () => {
    const { manifest, dirs } = sanitizeCheckpointPod(apiserver(), resolved);
    const base = 'kube-system/kube-apiserver-x';
    assert.deepEqual(manifest.spec?.volumes, [
      {
        name: 'secrets',
        hostPath: { path: `${HOST_PATHS.checkpointSecrets}/${base}/kube-apiserver`, type: 'Directory' },
      },
      {
        name: 'picked',
        hostPath: { path: `${HOST_PATHS.checkpointSecrets}/${base}/_volume-picked`, type: 'Directory' },
      },
      {
        name: 'config',
        hostPath: { path: `${HOST_PATHS.checkpointConfigMaps}/${base}/settings`, type: 'Directory' },
      },
      { name: 'lock', hostPath: { path: '/var/lock/bootkube', type: 'DirectoryOrCreate' } },
      { name: 'lockexec', emptyDir: {} },
      {
        name: 'kube-api-access-abcde',
        hostPath: {
          path: `${HOST_PATHS.checkpointSecrets}/${base}/_volume-kube-api-access-abcde`,
          type: 'Directory',
        },
      },
    ]);
    const files = Object.fromEntries(
      dirs.map((d) => [
        `${d.root}/${d.name}`,
        Object.fromEntries([...d.files].map(([k, v]) => [k, v.toString()])),
      ]),
    );
    assert.deepEqual(files, {
      'secrets/kube-apiserver': { 'apiserver.key': 'KEY', 'ca.crt': 'CA' },
      'secrets/_volume-picked': { 'pki/ca.pem': 'CA' },
      'configmaps/settings': { mode: 'fast' },
      'secrets/_volume-kube-api-access-abcde': {
        token: 'header.claims.sig',
        'ca.crt': 'ROOTCA',
        namespace: 'kube-system',
      },
    });
  });

  it('writes env values from Secrets and ConfigMaps in, keeps other valueFroms, drops optional missing ones', () => {
    const c = sanitizeCheckpointPod(apiserver(), resolved).manifest.spec!.containers[0]!;
    assert.equal(c.envFrom, undefined);
    assert.deepEqual(c.env, [
      { name: 'S_mode', value: 'fast' },
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'TOKEN', value: 's3cret' },
    ]);
  });

  it('references no service account, secret or config map; IfNotPresent everywhere; lockexec kept', () => {
    const m = sanitizeCheckpointPod(apiserver(), resolved).manifest;
    const text = manifestBytes(m);
    for (const word of [
      'serviceAccount',
      'secretName',
      'secretKeyRef',
      'configMapKeyRef',
      '"configMap"',
      'projected',
      'imagePullSecrets',
      'affinity',
    ]) {
      assert.ok(!text.includes(word), `${word} left in the checkpoint`);
    }
    assert.deepEqual(
      [...m.spec!.initContainers!, ...m.spec!.containers].map((c) => c.imagePullPolicy),
      ['IfNotPresent', 'IfNotPresent'],
    );
    assert.deepEqual(m.spec!.containers[0]!.command!.slice(0, 2), [LOCKEXEC.podPath, API_SERVER_LOCK]);
    assert.deepEqual(m.spec!.initContainers![0]!.command, ['cp', LOCKEXEC.imagePath, LOCKEXEC.podPath]);
  });

  it('refuses a pod that needs a PersistentVolumeClaim, and one whose required Secret is gone', () => {
    const p = apiserver();
    p.spec!.volumes!.push({ name: 'data', persistentVolumeClaim: { claimName: 'data' } });
    assert.throws(() => sanitizeCheckpointPod(p, resolved), UncheckpointablePodError);
    assert.throws(
      () => sanitizeCheckpointPod(apiserver(), { ...resolved, secrets: new Map() }),
      /secret kube-apiserver does not exist/,
    );
  });

  it('gives equal pods equal bytes whatever the order of their keys', () => {
    const a = apiserver();
    const reversed = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(reversed)
        : v && typeof v === 'object'
          ? Object.fromEntries(
              Object.entries(v)
                .reverse()
                .map(([k, x]) => [k, reversed(x)]),
            )
          : v;
    const b = reversed(a) as V1Pod;
    assert.notEqual(JSON.stringify(a), JSON.stringify(b));
    assert.equal(
      manifestBytes(sanitizeCheckpointPod(a, resolved).manifest),
      manifestBytes(sanitizeCheckpointPod(b, resolved).manifest),
    );
  });
});

describe('pods (v0.14 pod_test.go)', () => {
  it('isValidParent', () => {
    const cases: Array<[Record<string, string> | undefined, boolean]> = [
      [{ [CPOF]: 'x' }, false],
      [{ 'kubernetes.io/config.source': 'file' }, false],
      [{ foo: 'bar' }, false],
      [{ [CP]: 'true' }, true],
      [undefined, false],
      [{ [CP]: 'true', 'kubernetes.io/config.source': 'file' }, false],
      [{ [CP]: 'true', [CPOF]: 'x' }, false],
    ];
    for (const [annotations, want] of cases)
      assert.equal(isValidParent(pod({ annotations })), want, JSON.stringify(annotations));
  });
  it('isCheckpoint', () => {
    const cases: Array<[Record<string, string> | undefined, boolean]> = [
      [{ [CPOF]: 'podname' }, true],
      [{ [CPOF]: '' }, true],
      [{ foo: 'bar' }, false],
      [undefined, false],
    ];
    for (const [annotations, want] of cases) assert.equal(isCheckpoint(pod({ annotations })), want);
  });
  it('podId and paths', () => {
    assert.equal(podId(pod()), 'podnamespace/podname');
    assert.equal(manifestFileName('foo/bar'), 'foo-bar.json');
  });
  it('podUserAndGroup', () => {
    const withSc = (
      podSc: { runAsUser?: number; fsGroup?: number } | undefined,
      users: Array<number | undefined>,
    ): V1Pod => ({
      metadata: { name: 'p', namespace: 'n' },
      spec: {
        securityContext: podSc,
        containers: users.map((u, i) => ({
          name: `c${i}`,
          ...(u === undefined ? {} : { securityContext: { runAsUser: u } }),
        })),
      },
    });
    assert.deepEqual(podUserAndGroup({}), { uid: 0, gid: 0 });
    assert.deepEqual(podUserAndGroup(withSc(undefined, [undefined])), { uid: 0, gid: 0 });
    assert.deepEqual(podUserAndGroup(withSc({ runAsUser: 1, fsGroup: 10 }, [])), { uid: 1, gid: 10 });
    assert.deepEqual(podUserAndGroup(withSc(undefined, [1])), { uid: 1, gid: 0 });
    assert.deepEqual(podUserAndGroup(withSc({ runAsUser: 1, fsGroup: 10 }, [1, 1])), { uid: 1, gid: 10 });
    assert.throws(() => podUserAndGroup(withSc({ runAsUser: 2 }, [1])), /runs as 1/);
    assert.throws(() => podUserAndGroup(withSc(undefined, [1, 2])), /runs as 2/);
  });
  it("recognises its own pod by name, also as its static copy's mirror name", () => {
    assert.equal(
      selfPodName({ nodeName: 'n1', podName: 'pod-checkpointer-abcde', podNamespace: 'kube-system' }),
      'pod-checkpointer-abcde',
    );
    assert.equal(
      selfPodName({ nodeName: 'n1', podName: 'pod-checkpointer-abcde-n1', podNamespace: 'kube-system' }),
      'pod-checkpointer-abcde',
    );
  });
});
