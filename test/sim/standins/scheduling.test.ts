// The scheduler's filters and choice as pure functions: node name, selectors and affinity, taints
// and tolerations, host ports, unschedulable nodes, room, and the FailedScheduling message.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObj } from '../../../src/sim/standins/client/client.js';
import { filterNode, schedule } from '../../../src/sim/standins/scheduling/filter.js';
import { portsConflict, tolerates } from '../../../src/sim/standins/scheduling/predicates.js';

const node = (
  name: string,
  extra: { labels?: Record<string, string>; taints?: KObj[]; unschedulable?: boolean; pods?: string } = {},
): KObj => ({
  metadata: { name, labels: { 'kubernetes.io/hostname': name, ...extra.labels } },
  spec: { taints: extra.taints, unschedulable: extra.unschedulable },
  status: { allocatable: { pods: extra.pods ?? '110', cpu: '2', memory: '4Gi' } },
});
const pod = (spec: KObj = {}): KObj => ({
  metadata: { name: 'p', namespace: 'default' },
  spec: { containers: [{ name: 'c', image: 'x' }], ...spec },
});
const withPort = (hostPort: number, extra: KObj = {}): KObj =>
  pod({ containers: [{ name: 'c', image: 'x', ports: [{ containerPort: hostPort, hostPort, ...extra }] }] });
const fits = (p: KObj, n: KObj, on: KObj[] = []): string | true => {
  const r = filterNode(p, n, on);
  return r.ok ? true : r.reason;
};

describe('scheduler filters', () => {
  it('taints: NoSchedule and NoExecute block unless tolerated; PreferNoSchedule never blocks', () => {
    const cp = node('m', {
      taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
    });
    assert.equal(fits(pod(), cp), 'node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }');
    assert.equal(
      fits(
        pod({
          tolerations: [
            { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
          ],
        }),
        cp,
      ),
      true,
    );
    assert.equal(
      fits(pod({ tolerations: [{ operator: 'Exists' }] }), cp),
      true,
      'an empty key with Exists tolerates everything',
    );
    assert.equal(
      fits(
        pod({
          tolerations: [
            { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoExecute' },
          ],
        }),
        cp,
      ),
      'node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }',
    );
    assert.equal(
      fits(pod(), node('n', { taints: [{ key: 'k', value: 'v', effect: 'NoExecute' }] })),
      'node(s) had untolerated taint {k: v}',
    );
    assert.equal(fits(pod(), node('n', { taints: [{ key: 'k', effect: 'PreferNoSchedule' }] })), true);
    assert.ok(
      tolerates({ key: 'k', operator: 'Equal', value: 'v' }, { key: 'k', value: 'v', effect: 'NoSchedule' }),
    );
    assert.ok(!tolerates({ key: 'k', value: 'w' }, { key: 'k', value: 'v', effect: 'NoSchedule' }));
  });

  it('nodeSelector and required node affinity, with matchFields on metadata.name', () => {
    const w = node('w1', { labels: { disk: 'ssd', gen: '5' } });
    assert.equal(fits(pod({ nodeSelector: { disk: 'ssd' } }), w), true);
    assert.equal(
      fits(pod({ nodeSelector: { disk: 'hdd' } }), w),
      "node(s) didn't match Pod's node affinity/selector",
    );
    const affinity = (terms: KObj[]) =>
      pod({
        affinity: {
          nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } },
        },
      });
    assert.equal(
      fits(affinity([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['w1'] }] }]), w),
      true,
    );
    assert.notEqual(
      fits(affinity([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['w2'] }] }]), w),
      true,
    );
    assert.equal(
      fits(affinity([{ matchExpressions: [{ key: 'gen', operator: 'Gt', values: ['4'] }] }]), w),
      true,
    );
    assert.notEqual(
      fits(affinity([{ matchExpressions: [{ key: 'disk', operator: 'NotIn', values: ['ssd'] }] }]), w),
      true,
    );
    // terms are ORed
    assert.equal(
      fits(
        affinity([
          { matchExpressions: [{ key: 'x', operator: 'Exists' }] },
          { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] },
        ]),
        w,
      ),
      true,
    );
  });

  it('host ports clash on the same protocol and port, on the same or the wildcard address', () => {
    const w = node('w1');
    assert.equal(
      fits(withPort(8080), w, [withPort(8080)]),
      "node(s) didn't have free ports for the requested pod ports",
    );
    assert.equal(fits(withPort(8080), w, [withPort(8080, { protocol: 'UDP' })]), true);
    assert.equal(fits(withPort(8080), w, [withPort(8081)]), true);
    assert.ok(
      portsConflict(
        { ip: '0.0.0.0', protocol: 'TCP', port: 1 },
        { ip: '10.0.0.1', protocol: 'TCP', port: 1 },
      ),
    );
    assert.ok(
      !portsConflict(
        { ip: '10.0.0.2', protocol: 'TCP', port: 1 },
        { ip: '10.0.0.1', protocol: 'TCP', port: 1 },
      ),
    );
    // under hostNetwork a container port is a host port
    const hostNet = pod({
      hostNetwork: true,
      containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 10250 }] }],
    });
    assert.notEqual(fits(hostNet, w, [withPort(10250)]), true);
  });

  it('unschedulable nodes, room for pods and requests', () => {
    assert.equal(fits(pod(), node('n', { unschedulable: true })), 'node(s) were unschedulable');
    assert.equal(
      fits(
        pod({
          tolerations: [
            { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
          ],
        }),
        node('n', { unschedulable: true }),
      ),
      true,
    );
    assert.equal(fits(pod(), node('n', { pods: '1' }), [pod()]), 'Too many pods');
    const big = pod({ containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '1500m' } } }] });
    assert.equal(fits(big, node('n'), [big]), 'Insufficient cpu');
  });

  it('picks the node with the fewest pods, ties to the first name, and explains a failure', () => {
    const nodes = [node('b'), node('a'), node('c')];
    const byNode = new Map([
      ['a', [pod()]],
      ['b', [pod()]],
    ]);
    assert.deepEqual(schedule(pod(), nodes, byNode), { node: 'c' });
    assert.deepEqual(schedule(pod(), nodes, new Map()), { node: 'a' });
    const tainted = node('m', { taints: [{ key: 'cp', effect: 'NoSchedule' }] });
    const result = schedule(
      withPort(80),
      [tainted, node('w1'), node('w2', { labels: {} })],
      new Map([
        ['w1', [withPort(80)]],
        ['w2', [withPort(80)]],
      ]),
    );
    assert.deepEqual(result, {
      message:
        "0/3 nodes are available: 1 node(s) had untolerated taint {cp: }, 2 node(s) didn't have free ports for the requested pod ports. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    });
  });
});
