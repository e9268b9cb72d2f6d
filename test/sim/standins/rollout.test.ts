// The controllers' decisions as pure functions: Deployment surge/unavailability arithmetic and
// status, DaemonSet node eligibility and rolling-update steps, which pods a ReplicaSet deletes
// first, and when an owner adopts or releases.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { labelSelectorFromObject } from '../../../src/apiserver/selectors/index.js';
import type { KObj } from '../../../src/sim/standins/client/client.js';
import {
  nodeShouldRunDaemonPod,
  rollingUpdateStep,
  targetNodeName,
} from '../../../src/sim/standins/controllers/daemonset-logic.js';
import * as d from '../../../src/sim/standins/controllers/deployment-logic.js';
import { computeHash } from '../../../src/sim/standins/controllers/pods.js';
import { claimDecision } from '../../../src/sim/standins/controllers/ref-manager.js';
import { podsToDelete } from '../../../src/sim/standins/controllers/replicaset.js';

const NOW = Date.UTC(2025, 0, 1, 12);
const deployment = (
  replicas: number,
  maxSurge: number | string,
  maxUnavailable: number | string,
  extra: KObj = {},
): KObj => ({
  metadata: { name: 'web', generation: 2 },
  spec: {
    replicas,
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable } },
    progressDeadlineSeconds: 600,
    ...extra,
  },
});
const rs = (
  name: string,
  replicas: number,
  available = replicas,
  created = '2025-01-01T00:00:00Z',
): KObj => ({
  metadata: { name, creationTimestamp: created },
  spec: { replicas },
  status: { replicas, readyReplicas: available, availableReplicas: available },
});

describe('Deployment rollout arithmetic', () => {
  it('resolves surge up and unavailability down, never both zero', () => {
    assert.deepEqual(d.fenceposts(deployment(10, '25%', '25%')), { maxSurge: 3, maxUnavailable: 2 });
    assert.deepEqual(d.fenceposts(deployment(3, 0, 0)), { maxSurge: 0, maxUnavailable: 1 });
    assert.equal(d.maxUnavailable(deployment(2, 0, 5)), 2, 'capped at replicas');
  });

  it('grows the new ReplicaSet within maxSurge', () => {
    const dep = deployment(4, 1, 1);
    const oldRS = rs('old', 4);
    const newRS = rs('new', 0);
    assert.equal(d.newRSNewReplicas(dep, [oldRS, newRS], newRS), 1);
    assert.equal(
      d.newRSNewReplicas(dep, [rs('old', 3), rs('new', 2)], rs('new', 2)),
      2,
      'total already at replicas + surge',
    );
  });

  it('shrinks old ReplicaSets within maxUnavailable, unhealthy replicas first', () => {
    const dep = deployment(4, 1, 1);
    // 4 old available, 1 new not yet available: only 0 may go (4 + 1 - 3 - 1 = 1 → budget 1 via availability 4 > 3)
    const oldRS = rs('old', 4);
    const newRS = rs('new', 1, 0);
    assert.deepEqual([...d.scaleDownOld(dep, [oldRS, newRS], [oldRS], newRS)], [['old', 3]]);
    // an old set with unavailable pods loses those first
    const sick = rs('sick', 2, 0, '2024-12-01T00:00:00Z');
    const sizes = d.scaleDownOld(
      dep,
      [sick, rs('old', 3), rs('new', 1, 1)],
      [sick, rs('old', 3)],
      rs('new', 1, 1),
    );
    assert.equal(sizes.get('sick'), 0);
  });

  it('spreads a scale-up mid-rollout proportionally, leftovers to the largest', () => {
    const dep = deployment(15, 0, 1, {});
    dep.status = { replicas: 10 };
    const a = rs('a', 6, 6, '2025-01-01T00:00:00Z');
    const b = rs('b', 4, 4, '2025-01-02T00:00:00Z');
    a.metadata.annotations = { [d.MAX_REPLICAS]: '10' };
    b.metadata.annotations = { [d.MAX_REPLICAS]: '10' };
    const sizes = d.proportionalSizes(dep, b, [a]);
    assert.deepEqual(Object.fromEntries(sizes), { a: 9, b: 6 });
  });

  it('reports Available and Progressing as the controller does', () => {
    const dep = deployment(2, 0, 1);
    dep.status = {
      replicas: 2,
      updatedReplicas: 1,
      availableReplicas: 1,
      conditions: [d.condition('Progressing', 'True', 'ReplicaSetUpdated', 'x', '2025-01-01T11:00:00Z')],
    };
    const newRS = rs('web-new', 2, 2);
    const status = d.rolloutStatus(dep, [rs('web-old', 0, 0), newRS], newRS, NOW);
    assert.equal(status.observedGeneration, 2);
    assert.equal(status.updatedReplicas, 2);
    assert.equal(status.unavailableReplicas, 0);
    const byType = Object.fromEntries(status.conditions.map((c: KObj) => [c.type, c]));
    assert.equal(byType.Available.reason, 'MinimumReplicasAvailable');
    assert.equal(byType.Progressing.reason, 'NewReplicaSetAvailable');
    assert.equal(byType.Progressing.message, 'ReplicaSet "web-new" has successfully progressed.');
    assert.equal(
      byType.Progressing.lastTransitionTime,
      '2025-01-01T11:00:00Z',
      'status unchanged: transition time kept',
    );
    // no progress for longer than the deadline: ProgressDeadlineExceeded
    const stuck = deployment(2, 0, 1);
    stuck.status = {
      replicas: 2,
      updatedReplicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
      conditions: [d.condition('Progressing', 'True', 'ReplicaSetUpdated', 'x', '2025-01-01T11:00:00Z')],
    };
    const s2 = d.rolloutStatus(stuck, [rs('o', 1), rs('n', 1, 0)], rs('n', 1, 0), NOW);
    assert.equal(
      s2.conditions.find((c: KObj) => c.type === 'Progressing').reason,
      'ProgressDeadlineExceeded',
    );
  });

  it('names template hashes with the safe alphabet, stable per template', () => {
    const t = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x:1' }] } };
    const h = computeHash(t);
    assert.match(h, /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    assert.equal(computeHash(structuredClone(t)), h);
    assert.notEqual(computeHash({ ...t, spec: { containers: [{ name: 'c', image: 'x:2' }] } }), h);
    assert.notEqual(computeHash(t, 1), h, 'a collision count changes the hash');
  });
});

const dsNode = (name: string, taints?: KObj[], labels: Record<string, string> = {}): KObj => ({
  metadata: { name, labels },
  spec: { taints },
});
const ds = (extra: KObj = {}): KObj => ({
  metadata: { name: 'agent', uid: 'ds-uid', annotations: {} },
  spec: {
    selector: { matchLabels: { app: 'agent' } },
    template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a', image: 'x' }] } },
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
    ...extra,
  },
});
const dsPod = (name: string, node: string, hash: string, ready = true): KObj => ({
  metadata: {
    name,
    labels: { app: 'agent', 'controller-revision-hash': hash },
    creationTimestamp: '2025-01-01T00:00:00Z',
  },
  spec: { nodeName: node },
  status: {
    phase: 'Running',
    conditions: [
      { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: '2025-01-01T00:00:00Z' },
    ],
  },
});

describe('DaemonSet decisions', () => {
  it('runs on nodes whose taints it tolerates (the default daemon tolerations included)', () => {
    assert.deepEqual(nodeShouldRunDaemonPod(dsNode('w'), ds()), [true, true]);
    assert.deepEqual(
      nodeShouldRunDaemonPod(dsNode('m', [{ key: 'cp', effect: 'NoSchedule' }]), ds()),
      [false, true],
      'NoSchedule: no new pod, a running one stays',
    );
    assert.deepEqual(nodeShouldRunDaemonPod(dsNode('m', [{ key: 'cp', effect: 'NoExecute' }]), ds()), [
      false,
      false,
    ]);
    assert.deepEqual(
      nodeShouldRunDaemonPod(
        dsNode('n', [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }]),
        ds(),
      ),
      [true, true],
    );
    assert.deepEqual(
      nodeShouldRunDaemonPod(
        dsNode('n', [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }]),
        ds(),
      ),
      [true, true],
    );
    const selective = ds();
    selective.spec.template.spec.nodeSelector = { role: 'edge' };
    assert.deepEqual(nodeShouldRunDaemonPod(dsNode('w'), selective), [false, false]);
    assert.deepEqual(nodeShouldRunDaemonPod(dsNode('e', undefined, { role: 'edge' }), selective), [
      true,
      true,
    ]);
  });

  it('finds the node of an unbound pod from its node affinity', () => {
    const p = {
      spec: {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['w2'] }] },
              ],
            },
          },
        },
      },
    };
    assert.equal(targetNodeName(p), 'w2');
  });

  it('replaces old pods one node at a time within maxUnavailable', () => {
    const nodes = [dsNode('w1'), dsNode('w2'), dsNode('w3')];
    const byNode = new Map([
      ['w1', [dsPod('a', 'w1', 'old')]],
      ['w2', [dsPod('b', 'w2', 'old')]],
      ['w3', [dsPod('c', 'w3', 'old')]],
    ]);
    assert.deepEqual(rollingUpdateStep(ds(), nodes, byNode, 'new', NOW), { deletePods: ['a'], createOn: [] });
    // w1 has its new pod, not yet ready: it counts against maxUnavailable, so nothing more goes
    byNode.set('w1', [dsPod('a2', 'w1', 'new', false)]);
    assert.deepEqual(rollingUpdateStep(ds(), nodes, byNode, 'new', NOW).deletePods, []);
    // ready now: the next old pod goes; an old pod that is not available is replaced regardless
    byNode.set('w1', [dsPod('a2', 'w1', 'new')]);
    byNode.set('w3', [dsPod('c', 'w3', 'old', false)]);
    assert.deepEqual(rollingUpdateStep(ds(), nodes, byNode, 'new', NOW).deletePods, ['c']);
  });

  it('surges a new pod next to the old one when maxSurge is set', () => {
    const surge = ds({
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    });
    const nodes = [dsNode('w1'), dsNode('w2')];
    const byNode = new Map([
      ['w1', [dsPod('a', 'w1', 'old')]],
      ['w2', [dsPod('b', 'w2', 'old')]],
    ]);
    assert.deepEqual(rollingUpdateStep(surge, nodes, byNode, 'new', NOW), {
      deletePods: [],
      createOn: ['w1'],
    });
    byNode.set('w1', [dsPod('a', 'w1', 'old'), dsPod('a2', 'w1', 'new')]);
    assert.deepEqual(rollingUpdateStep(surge, nodes, byNode, 'new', NOW), {
      deletePods: ['a'],
      createOn: ['w2'],
    });
  });
});

describe('ReplicaSet and owner decisions', () => {
  it('deletes unscheduled, pending, unready and newer pods first', () => {
    const p = (name: string, extra: KObj): KObj => ({
      metadata: { name, creationTimestamp: extra.created ?? '2025-01-01T00:00:00Z' },
      spec: { nodeName: extra.node },
      status: {
        phase: extra.phase ?? 'Running',
        conditions:
          extra.ready === false
            ? []
            : [{ type: 'Ready', status: 'True', lastTransitionTime: '2025-01-01T00:00:00Z' }],
      },
    });
    const pods = [
      p('old-ready', { node: 'n1' }),
      p('new-ready', { node: 'n2', created: '2025-01-01T01:00:00Z' }),
      p('unready', { node: 'n3', ready: false }),
      p('pending', { node: 'n4', phase: 'Pending', ready: false }),
      p('unbound', { phase: 'Pending', ready: false }),
    ];
    assert.deepEqual(
      podsToDelete(pods, 5, NOW).map((x) => x.metadata.name),
      ['unbound', 'pending', 'unready', 'new-ready', 'old-ready'],
    );
  });

  it('adopts matching orphans, releases what stopped matching, leaves others alone', () => {
    const owner = { metadata: { uid: 'o1' } };
    const sel = labelSelectorFromObject({ matchLabels: { app: 'web' } })!;
    const obj = (labels: Record<string, string>, ref?: KObj, deleting = false): KObj => ({
      metadata: {
        labels,
        ownerReferences: ref ? [ref] : undefined,
        deletionTimestamp: deleting ? 'x' : undefined,
      },
    });
    assert.equal(claimDecision(obj({ app: 'web' }), owner, sel), 'adopt');
    assert.equal(
      claimDecision(obj({ app: 'web' }, undefined, true), owner, sel),
      'ignore',
      'never adopt a pod being deleted',
    );
    assert.equal(claimDecision(obj({ app: 'web' }, { uid: 'o1', controller: true }), owner, sel), 'owned');
    assert.equal(claimDecision(obj({ app: 'db' }, { uid: 'o1', controller: true }), owner, sel), 'release');
    assert.equal(claimDecision(obj({ app: 'web' }, { uid: 'o2', controller: true }), owner, sel), 'ignore');
    assert.equal(
      claimDecision(obj({ app: 'web' }), { metadata: { uid: 'o1', deletionTimestamp: 'x' } }, sel),
      'ignore',
      'an owner being deleted adopts nothing',
    );
  });
});
