// Strategic merge patches exactly as a 1.32 kubelet sends them (reference/kubernetes-api-surface.md
// §1.3, §1.6, §1.8): pod status, node status, event updates.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyPatch } from '../../../src/apiserver/patch/index.js';
import { deepFreeze, EVENT, NODE, POD } from './support.js';

const UID = 'af51e2c4-7d0e-4a55-9e0b-3c2f1d6a8b90';
const T0 = '2025-06-01T10:00:00Z';
const T1 = '2025-06-01T10:00:05Z';
const T2 = '2025-06-01T10:00:09Z';
const IMAGE = 'registry.k8s.io/kube-apiserver:v1.32.4';

const waiting = {
  name: 'kube-apiserver',
  image: IMAGE,
  imageID: '',
  ready: false,
  restartCount: 0,
  started: false,
  state: { waiting: { reason: 'ContainerCreating' } },
  lastState: {},
};
const running = {
  name: 'kube-apiserver',
  containerID: 'containerd://4f2c9a',
  image: IMAGE,
  imageID: 'registry.k8s.io/kube-apiserver@sha256:0b1f',
  ready: true,
  restartCount: 0,
  started: true,
  state: { running: { startedAt: T1 } },
  lastState: {},
};
const notReady = {
  reason: 'ContainersNotReady',
  message: 'containers with unready status: [kube-apiserver]',
};

function pendingPod() {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'kube-apiserver-m1',
      namespace: 'kube-system',
      uid: UID,
      labels: { tier: 'control-plane' },
    },
    spec: { nodeName: 'm1', containers: [{ name: 'kube-apiserver', image: IMAGE }] },
    status: {
      phase: 'Pending',
      conditions: [
        { type: 'PodReadyToStartContainers', status: 'False', lastTransitionTime: T0 },
        { type: 'Initialized', status: 'True', lastTransitionTime: T0 },
        { type: 'Ready', status: 'False', lastTransitionTime: T0, ...notReady },
        { type: 'ContainersReady', status: 'False', lastTransitionTime: T0, ...notReady },
        { type: 'PodScheduled', status: 'True', lastTransitionTime: T0 },
      ],
      hostIP: '10.0.0.10',
      hostIPs: [{ ip: '10.0.0.10' }],
      startTime: T0,
      containerStatuses: [waiting],
      qosClass: 'Burstable',
    },
  };
}

describe('kubelet pod status patch', () => {
  // What status_manager sends when the container starts: a UID precondition in metadata, changed
  // conditions with $setElementOrder, nulls for the reason and message that went away, the atomic
  // containerStatuses whole, and the new pod IPs.
  const patch = {
    metadata: { uid: UID },
    status: {
      '$setElementOrder/conditions': [
        { type: 'PodReadyToStartContainers' },
        { type: 'Initialized' },
        { type: 'Ready' },
        { type: 'ContainersReady' },
        { type: 'PodScheduled' },
      ],
      conditions: [
        { lastTransitionTime: T1, status: 'True', type: 'PodReadyToStartContainers' },
        { lastTransitionTime: T2, message: null, reason: null, status: 'True', type: 'Ready' },
        { lastTransitionTime: T2, message: null, reason: null, status: 'True', type: 'ContainersReady' },
      ],
      containerStatuses: [running],
      phase: 'Running',
      podIP: '10.0.0.10',
      podIPs: [{ ip: '10.0.0.10' }],
    },
  };

  it('merges conditions by type, drops nulled fields, replaces containerStatuses', () => {
    const result = applyPatch(deepFreeze(pendingPod()), deepFreeze(patch), 'strategic', POD);
    const expected = pendingPod();
    expected.status = {
      phase: 'Running',
      conditions: [
        { type: 'PodReadyToStartContainers', status: 'True', lastTransitionTime: T1 },
        { type: 'Initialized', status: 'True', lastTransitionTime: T0 },
        { type: 'Ready', status: 'True', lastTransitionTime: T2 },
        { type: 'ContainersReady', status: 'True', lastTransitionTime: T2 },
        { type: 'PodScheduled', status: 'True', lastTransitionTime: T0 },
      ],
      hostIP: '10.0.0.10',
      hostIPs: [{ ip: '10.0.0.10' }],
      startTime: T0,
      containerStatuses: [running as unknown as typeof waiting],
      qosClass: 'Burstable',
      ...{ podIP: '10.0.0.10', podIPs: [{ ip: '10.0.0.10' }] },
    };
    assert.deepEqual(result, expected);
  });

  it('a condition new to the pod is placed where $setElementOrder says, without its null fields', () => {
    const pod = pendingPod();
    pod.status.conditions = pod.status.conditions.filter((c) => c.type !== 'ContainersReady');
    const result = applyPatch(deepFreeze(pod), deepFreeze(patch), 'strategic', POD) as ReturnType<
      typeof pendingPod
    >;
    assert.deepEqual(result.status.conditions, [
      { type: 'PodReadyToStartContainers', status: 'True', lastTransitionTime: T1 },
      { type: 'Initialized', status: 'True', lastTransitionTime: T0 },
      { type: 'Ready', status: 'True', lastTransitionTime: T2 },
      { lastTransitionTime: T2, status: 'True', type: 'ContainersReady' },
      { type: 'PodScheduled', status: 'True', lastTransitionTime: T0 },
    ]);
  });

  it('carries a different metadata.uid into the result, for the caller to refuse (409)', () => {
    const result = applyPatch(
      pendingPod(),
      { metadata: { uid: 'other' }, status: { phase: 'Failed' } },
      'strategic',
      POD,
    );
    assert.deepEqual(result, {
      ...pendingPod(),
      metadata: { ...pendingPod().metadata, uid: 'other' },
      status: { ...pendingPod().status, phase: 'Failed' },
    });
  });
});

function node() {
  const heartbeat = (type: string, reason: string, message: string, status = 'False') => ({
    type,
    status,
    lastHeartbeatTime: T0,
    lastTransitionTime: T0,
    reason,
    message,
  });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: 'm1',
      uid: 'd1a7',
      labels: { 'kubernetes.io/hostname': 'm1', 'kubernetes.io/os': 'linux' },
      annotations: { 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: {
      podCIDR: '10.244.0.0/24',
      podCIDRs: ['10.244.0.0/24'],
      taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
    },
    status: {
      conditions: [
        heartbeat('MemoryPressure', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        heartbeat('DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        heartbeat('PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        heartbeat('Ready', 'KubeletNotReady', 'container runtime network not ready: NetworkReady=false'),
      ],
      addresses: [
        { type: 'InternalIP', address: '10.0.0.10' },
        { type: 'ExternalIP', address: '203.0.113.10' },
        { type: 'Hostname', address: 'm1' },
      ],
      images: [{ names: ['registry.k8s.io/pause:3.10'], sizeBytes: 320368 }],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: { kubeletVersion: 'v1.32.4', containerRuntimeVersion: 'containerd://1.7.24' },
      capacity: { cpu: '4', memory: '8148608Ki', pods: '110' },
    },
  };
}

const newAddresses = [
  { address: '10.0.0.11', type: 'InternalIP' },
  { address: 'm1', type: 'Hostname' },
];
const newImages = [
  { names: ['registry.k8s.io/kube-apiserver@sha256:0b1f', IMAGE], sizeBytes: 28310552 },
  { names: ['registry.k8s.io/pause:3.10'], sizeBytes: 320368 },
];

describe('kubelet node status patch', () => {
  // tryUpdateNodeStatus after the network came up and the address changed: heartbeats, Ready
  // replaced, addresses whole with `$patch: replace` (fixupPatchForNodeStatusAddresses), images whole.
  const patch = {
    status: {
      '$setElementOrder/conditions': [
        { type: 'MemoryPressure' },
        { type: 'DiskPressure' },
        { type: 'PIDPressure' },
        { type: 'Ready' },
      ],
      addresses: [...newAddresses, { $patch: 'replace' }],
      conditions: [
        { lastHeartbeatTime: T2, type: 'MemoryPressure' },
        { lastHeartbeatTime: T2, type: 'DiskPressure' },
        { lastHeartbeatTime: T2, type: 'PIDPressure' },
        {
          lastHeartbeatTime: T2,
          lastTransitionTime: T2,
          message: 'kubelet is posting ready status',
          reason: 'KubeletReady',
          status: 'True',
          type: 'Ready',
        },
      ],
      images: newImages,
    },
  };

  it('updates heartbeats by type, replaces addresses and images', () => {
    const expected = node();
    expected.status.conditions = expected.status.conditions.map((c) => ({ ...c, lastHeartbeatTime: T2 }));
    expected.status.conditions[3] = {
      type: 'Ready',
      status: 'True',
      lastHeartbeatTime: T2,
      lastTransitionTime: T2,
      reason: 'KubeletReady',
      message: 'kubelet is posting ready status',
    };
    expected.status.addresses = newAddresses;
    expected.status.images = newImages;
    assert.deepEqual(applyPatch(deepFreeze(node()), deepFreeze(patch), 'strategic', NODE), expected);
  });

  it('without `$patch: replace`, addresses merge by type and a stale one survives', () => {
    const result = applyPatch(node(), { status: { addresses: newAddresses } }, 'strategic', NODE);
    const expected = node();
    expected.status.addresses = [
      { type: 'InternalIP', address: '10.0.0.11' },
      { type: 'ExternalIP', address: '203.0.113.10' },
      { type: 'Hostname', address: 'm1' },
    ];
    assert.deepEqual(result, expected);
  });

  it('registration reconciliation patches labels through status', () => {
    const result = applyPatch(
      node(),
      { metadata: { labels: { 'node.kubernetes.io/exclude-from-external-load-balancers': '' } } },
      'strategic',
      NODE,
    );
    const expected = node();
    expected.metadata.labels = {
      ...expected.metadata.labels,
      ...{ 'node.kubernetes.io/exclude-from-external-load-balancers': '' },
    };
    assert.deepEqual(result, expected);
  });
});

describe('kubelet event patch', () => {
  it('updates count, lastTimestamp and message of a repeated event', () => {
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'm1.17d8a', namespace: 'default' },
      involvedObject: { kind: 'Node', name: 'm1', uid: 'm1' },
      reason: 'NodeHasSufficientMemory',
      message: 'Node m1 status is now: NodeHasSufficientMemory',
      source: { component: 'kubelet', host: 'm1' },
      firstTimestamp: T0,
      lastTimestamp: T0,
      count: 1,
      type: 'Normal',
    };
    const patch = { count: 2, lastTimestamp: T2, message: 'Node m1 status is now: NodeHasSufficientMemory' };
    assert.deepEqual(applyPatch(deepFreeze(event), patch, 'strategic', EVENT), {
      ...event,
      count: 2,
      lastTimestamp: T2,
    });
  });
});
