/**
 * The Node a kubelet registers and the status it keeps setting (kubelet_node_status.go initialNode
 * and the nodestatus setters, in their order: addresses, machine info, version info, daemon
 * endpoints, images, then the MemoryPressure, DiskPressure, PIDPressure and Ready conditions).
 * A condition's lastHeartbeatTime moves on every computation, its lastTransitionTime only when its
 * status changes; each first appearance or change is also an event ("NodeHasSufficientMemory",
 * "NodeReady", …). Change detection ignores heartbeats, as nodeStatusHasChanged does, so a quiet
 * node is patched only every nodeStatusReportFrequency (5 min).
 */
import { KUBELET_VERSION } from './api-client.js';
import { rfc3339 } from './clock.js';
import type { ImageRecord } from './container-runtime.js';
import { deepEqual } from './strategic-patch.js';

export type Obj = Record<string, any>;

export interface NodeFacts {
  nodeName: string;
  nodeIP: string;
  /** The port /pods is served on: what the API reports as kubeletEndpoint. */
  kubeletPort: number;
  machineID: string;
  systemUUID: string;
  bootID: string;
  images: ImageRecord[];
  /** Errors that keep the node NotReady (e.g. "CSINode is not yet initialized"). */
  notReadyReasons: string[];
  taints: Obj[];
  labels: Record<string, string>;
}

export const CAPACITY = {
  cpu: '4',
  'ephemeral-storage': '104857600Ki',
  'hugepages-1Gi': '0',
  'hugepages-2Mi': '0',
  memory: '16777216Ki',
  pods: '110',
};
// Capacity less the default eviction thresholds: memory.available 100Mi, nodefs.available 10 %.
export const ALLOCATABLE = { ...CAPACITY, 'ephemeral-storage': '96636764160', memory: '16674816Ki' };

/** initialNode: the labels, taints and annotation a kubelet registers with, plus a full status. */
export function initialNode(f: NodeFacts, now: number, onEvent: (reason: string) => void): Obj {
  const node: Obj = {
    kind: 'Node',
    apiVersion: 'v1',
    metadata: {
      name: f.nodeName,
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': f.nodeName,
        'kubernetes.io/os': 'linux',
        ...f.labels,
      },
      annotations: { 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: f.taints.length ? { taints: f.taints } : {},
    status: {},
  };
  setNodeStatus(node, f, now, onEvent);
  return node;
}

function condition(
  node: Obj,
  type: string,
  ok: boolean,
  trueReason: string,
  falseReason: string,
  message: string,
  now: number,
  onEvent: (r: string) => void,
): void {
  const conditions: Obj[] = (node.status.conditions ??= []);
  const status = ok ? 'True' : 'False';
  const ts = rfc3339(now);
  const reason = ok ? trueReason : falseReason;
  const existing = conditions.find((c) => c.type === type);
  if (!existing) {
    conditions.push({ type, status, lastHeartbeatTime: ts, lastTransitionTime: ts, reason, message });
    // The pressure setters announce a new condition; the Ready setter only a change.
    if (type !== 'Ready') onEvent(reason.replace(/^Kubelet/, 'Node'));
    return;
  }
  if (existing.status !== status) {
    existing.lastTransitionTime = ts;
    onEvent(type === 'Ready' ? (ok ? 'NodeReady' : 'NodeNotReady') : reason.replace(/^Kubelet/, 'Node'));
  }
  Object.assign(existing, { status, reason, message, lastHeartbeatTime: ts });
}

/** setNodeStatus: every setter, in order, onto `node` (mutated). */
export function setNodeStatus(node: Obj, f: NodeFacts, now: number, onEvent: (reason: string) => void): void {
  const s = (node.status ??= {});
  s.addresses = [
    { type: 'InternalIP', address: f.nodeIP },
    { type: 'Hostname', address: f.nodeName },
  ];
  s.capacity = { ...CAPACITY };
  s.allocatable = { ...ALLOCATABLE };
  // MachineInfo: a boot ID other than the one on record means the node rebooted.
  if (s.nodeInfo?.bootID && s.nodeInfo.bootID !== f.bootID) onEvent('Rebooted');
  s.nodeInfo = {
    machineID: f.machineID,
    systemUUID: f.systemUUID,
    bootID: f.bootID,
    kernelVersion: '6.1.0-28-amd64',
    osImage: 'Debian GNU/Linux 12 (bookworm)',
    containerRuntimeVersion: 'containerd://1.7.24',
    kubeletVersion: KUBELET_VERSION,
    kubeProxyVersion: '',
    operatingSystem: 'linux',
    architecture: 'amd64',
  };
  s.daemonEndpoints = { kubeletEndpoint: { Port: f.kubeletPort } };
  s.images = [...f.images]
    .sort((a, b) => b.sizeBytes - a.sizeBytes)
    .map((i) => ({ names: i.names, sizeBytes: i.sizeBytes }));
  condition(
    node,
    'MemoryPressure',
    false,
    'KubeletHasInsufficientMemory',
    'KubeletHasSufficientMemory',
    'kubelet has sufficient memory available',
    now,
    onEvent,
  );
  condition(
    node,
    'DiskPressure',
    false,
    'KubeletHasDiskPressure',
    'KubeletHasNoDiskPressure',
    'kubelet has no disk pressure',
    now,
    onEvent,
  );
  condition(
    node,
    'PIDPressure',
    false,
    'KubeletHasInsufficientPID',
    'KubeletHasSufficientPID',
    'kubelet has sufficient PID available',
    now,
    onEvent,
  );
  const ready = f.notReadyReasons.length === 0;
  const msg = ready
    ? 'kubelet is posting ready status'
    : f.notReadyReasons.length === 1
      ? f.notReadyReasons[0]!
      : `[${f.notReadyReasons.join(', ')}]`;
  condition(node, 'Ready', ready, 'KubeletReady', 'KubeletNotReady', msg, now, onEvent);
}

/** nodeStatusHasChanged: any difference but the conditions' heartbeat times. */
export function nodeStatusHasChanged(a: Obj | undefined, b: Obj | undefined): boolean {
  const strip = (s: Obj | undefined) => {
    if (!s) return s;
    const conds = [...(s.conditions ?? [])]
      .map((c: Obj): Obj => ({ ...c, lastHeartbeatTime: undefined }))
      .sort((x, y) => String(x.type).localeCompare(String(y.type)));
    return { ...s, conditions: conds };
  };
  return !deepEqual(strip(a), strip(b));
}

/** The node's Ready condition status ('True', 'False', 'Unknown' or undefined). */
export function readyStatus(node: Obj | undefined): string | undefined {
  return (node?.status?.conditions ?? []).find((c: Obj) => c.type === 'Ready')?.status;
}
