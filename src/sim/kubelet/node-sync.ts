/**
 * Registration and node status (kubelet_node_status.go, reference §1.2, §1.3). syncNodeStatus runs
 * every 10 s (4 % jitter, sliding): first registerWithAPIServer, which sleeps 100 ms doubling to
 * 7 s before each POST of the initial Node and, on AlreadyExists, GETs the node and patches what
 * differs (default labels, the attach-detach annotation); then updateNodeStatus: up to 5 tries,
 * the first reading the node from the informer, the others GETting it, and a strategic merge
 * patch of nodes/<n>/status only when the status changed (heartbeats aside) or 5 minutes passed.
 * Until the node is Ready, fastStatusUpdateOnce checks every 100 ms and patches the moment it is.
 */
import { SMP_TYPE, type ApiClient } from './api-client.js';
import { jitter, type Clock } from './clock.js';
import {
  initialNode,
  nodeStatusHasChanged,
  readyStatus,
  setNodeStatus,
  type NodeFacts,
} from './node-status.js';
import { nodeStatusPatch } from './strategic-patch.js';

export type Obj = Record<string, any>;

export const NODE_STATUS_UPDATE_MS = 10_000;
export const NODE_STATUS_REPORT_MS = 300_000;
const NODE_STATUS_RETRIES = 5;
const NODE_READY_GRACE_MS = 120_000;
const DEFAULT_LABELS = [
  'kubernetes.io/hostname',
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
];
const CMAD = 'volumes.kubernetes.io/controller-managed-attach-detach';

export interface NodeSyncOptions {
  client: ApiClient;
  clock: Clock;
  nodeName: string;
  signal: AbortSignal;
  facts(): NodeFacts;
  /** The node as the kubelet's node informer has it. */
  informerNode(): Obj | undefined;
  /** A node status event reason (NodeHasSufficientMemory, NodeReady, …). */
  onStatusEvent(reason: string): void;
  onRegistered?(): void;
  onPatched?(node: Obj): void;
  onRepeatedFailure?(): void;
  random?: () => number;
}

export class NodeSync {
  registered = false;
  private lastReport = -Infinity;
  private lock: Promise<void> = Promise.resolve();

  constructor(private readonly o: NodeSyncOptions) {}

  /** The syncNodeStatus loop, until the signal aborts. */
  async run(): Promise<void> {
    while (!this.o.signal.aborted) {
      await this.exclusive(() => this.syncNodeStatus());
      await this.o.clock
        .sleep(jitter(NODE_STATUS_UPDATE_MS, 0.04, this.o.random), this.o.signal)
        .catch(() => undefined);
    }
  }

  /** fastStatusUpdateOnce: every 100 ms, until the node is Ready (or 2 minutes have passed). */
  async fastStatusUpdateOnce(): Promise<void> {
    const start = this.o.clock.now();
    while (!this.o.signal.aborted) {
      const done = await this.exclusive(() =>
        this.fastNodeStatusUpdate(this.o.clock.since(start) >= NODE_READY_GRACE_MS),
      );
      if (done) return;
      await this.o.clock.sleep(100, this.o.signal).catch(() => undefined);
    }
  }

  // syncNodeStatusMux: the two loops never interleave.
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn);
    this.lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async syncNodeStatus(): Promise<void> {
    if (!this.registered) await this.registerWithAPIServer();
    for (let i = 0; i < NODE_STATUS_RETRIES && !this.o.signal.aborted; i++) {
      if (await this.tryUpdateNodeStatus(i)) return;
      if (i > 0) this.o.onRepeatedFailure?.();
    }
  }

  private async registerWithAPIServer(): Promise<void> {
    let step = 100;
    while (!this.o.signal.aborted) {
      await this.o.clock.sleep(step, this.o.signal).catch(() => undefined);
      if (this.o.signal.aborted) return;
      step = Math.min(step * 2, 7000);
      const node = initialNode(this.o.facts(), this.o.clock.now(), (r) => this.o.onStatusEvent(r));
      if (await this.tryRegister(node)) {
        this.registered = true;
        this.o.onRegistered?.();
        return;
      }
    }
  }

  private async tryRegister(node: Obj): Promise<boolean> {
    const { client } = this.o;
    const r = await client.request('kube', 'POST', '/api/v1/nodes', { body: node });
    if (r.status === 201 || r.status === 200) return true;
    if (r.status !== 409) return false;
    const got = await client.request('kube', 'GET', `/api/v1/nodes/${this.o.nodeName}`);
    if (got.status !== 200) return false;
    const existing = got.body as Obj;
    const updated = structuredClone(existing);
    let requiresUpdate = false;
    if (updated.metadata.annotations?.[CMAD] !== node.metadata.annotations[CMAD]) {
      updated.metadata.annotations = {
        ...(updated.metadata.annotations ?? {}),
        [CMAD]: node.metadata.annotations[CMAD],
      };
      requiresUpdate = true;
    }
    updated.metadata.labels ??= {};
    for (const l of DEFAULT_LABELS) {
      if (node.metadata.labels[l] !== undefined && updated.metadata.labels[l] !== node.metadata.labels[l]) {
        updated.metadata.labels[l] = node.metadata.labels[l];
        requiresUpdate = true;
      }
    }
    if (!updated.status?.capacity || !updated.status?.allocatable) {
      updated.status = {
        ...(updated.status ?? {}),
        capacity: updated.status?.capacity ?? node.status.capacity,
        allocatable: updated.status?.allocatable ?? node.status.allocatable,
      };
      requiresUpdate = true;
    }
    if (!requiresUpdate) return true;
    const p = await client.request('kube', 'PATCH', `/api/v1/nodes/${this.o.nodeName}/status`, {
      body: nodeStatusPatch(existing, updated),
      contentType: SMP_TYPE,
    });
    return p.status === 200;
  }

  /** updateNode: a copy of the node with the required labels and every status setter applied. */
  private updateNode(original: Obj): { node: Obj; changed: boolean } {
    const node = structuredClone(original);
    let labelsMissing = false;
    node.metadata.labels ??= {};
    for (const [k, v] of [
      ['kubernetes.io/os', 'linux'],
      ['kubernetes.io/arch', 'amd64'],
    ] as const) {
      if (node.metadata.labels[k] !== v) {
        node.metadata.labels[k] = v;
        labelsMissing = true;
      }
    }
    setNodeStatus(node, this.o.facts(), this.o.clock.now(), (r) => this.o.onStatusEvent(r));
    return { node, changed: labelsMissing || nodeStatusHasChanged(original.status, node.status) };
  }

  private async tryUpdateNodeStatus(tryNumber: number): Promise<boolean> {
    let original: Obj | undefined;
    if (tryNumber === 0) original = this.o.informerNode();
    else {
      const r = await this.o.client.request('heartbeat', 'GET', `/api/v1/nodes/${this.o.nodeName}`);
      original = r.status === 200 ? r.body : undefined;
    }
    if (!original) return false;
    const { node, changed } = this.updateNode(original);
    if (!changed && this.o.clock.since(this.lastReport) < NODE_STATUS_REPORT_MS) return true;
    return (await this.patch(original, node)) !== undefined;
  }

  private async patch(original: Obj, node: Obj): Promise<Obj | undefined> {
    const r = await this.o.client.request('heartbeat', 'PATCH', `/api/v1/nodes/${this.o.nodeName}/status`, {
      body: nodeStatusPatch(original, node),
      contentType: SMP_TYPE,
    });
    if (r.status !== 200) return undefined;
    this.lastReport = this.o.clock.now();
    this.o.onPatched?.(r.body);
    return r.body;
  }

  private async fastNodeStatusUpdate(timeout: boolean): Promise<boolean> {
    if (timeout) return true;
    const original = this.o.informerNode();
    if (!original) return false;
    const ready = readyStatus(original);
    if (ready === undefined) return false;
    if (ready === 'True') return true;
    const { node, changed } = this.updateNode(original);
    if (!changed || readyStatus(node) !== 'True') return false;
    // A failed fast patch falls back to the regular sync, which reads the node from the API.
    if (!(await this.patch(original, node))) await this.syncNodeStatus();
    return true;
  }
}
