/**
 * Many simulated nodes in one process, on one event loop (no process per node, as Kubemark's
 * hollow nodes need): each with its own root dir under the cluster's, its own /pods port and
 * connections, masters first. Nodes start at a steady rate rather than all in the same tick, the
 * way a fleet of real kubelets never starts in the same millisecond. Masters are labelled
 * node-role.kubernetes.io/control-plane once registered, with the cluster's own credentials, as
 * `bootkube start` does with the admin identity (a kubelet may not set that label on itself).
 * stats() gives the status line; every kubelet event goes to onEvent (the --json stream).
 */
import { join } from 'node:path';
import { LABELS } from '../render/constants.js';
import { ApiClient, type RequestRecord } from './kubelet/api-client.js';
import { RealClock, type Clock } from './kubelet/clock.js';
import type { KubeletEvent } from './kubelet/kubelet.js';
import { SimNode } from './node.js';
import type { ContainerRunner, SimNodeContext } from './runtime.js';

export type ClusterEvent = (
  | KubeletEvent
  | { type: 'nodeStopped' | 'nodeRebooting'; node: string }
  | { type: 'labelled' | 'labelFailed'; node: string; message?: string }
) & { at: string };

export interface ClusterOptions {
  credentials: { server: string; ca: string; cert: string; key: string };
  /** Node names, masters first. */
  names: string[];
  masters: number;
  rootDir: string;
  clock?: Clock;
  runners?: (node: SimNodeContext) => ContainerRunner[];
  /** Nodes started per second (default 20: a fleet's start is a storm the API must absorb). */
  startRate?: number;
  /** First /pods port (node i gets base + i); 0 = any free port. */
  podsPortBase?: number;
  pullDelayMs?: number;
  sandboxDelayMs?: number;
  /** Files of container images (path in the image → a real file), for `cp` out of an image. */
  imageFiles?: Record<string, string>;
  onEvent?: (e: ClusterEvent) => void;
  onRequest?: (r: RequestRecord) => void;
}

export interface ClusterStats {
  nodes: number;
  registered: number;
  ready: number;
  pods: number;
  running: number;
  /** Requests the kubelets made, in all and per second over the last 10 s. */
  requests: number;
  requestsPerSecond: number;
}

/** The names `--nodes N --node-prefix P` gives: P0 … P(N-1), the first `masters` of them masters. */
export function nodeNames(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i}`);
}

/** A distinct InternalIP per node, in 10.0.0.0/16 from 10.0.0.10 (render's first master). */
export function nodeIP(i: number): string {
  const n = i + 10;
  return `10.0.${(n >> 8) & 255}.${n & 255}`;
}

export class SimCluster {
  readonly nodes: SimNode[];
  readonly clock: Clock;
  private requests = 0;
  private readonly window: number[] = [];
  private readonly admin: ApiClient;
  private stopped = false;

  constructor(private readonly o: ClusterOptions) {
    this.clock = o.clock ?? new RealClock(1);
    this.admin = new ApiClient({ nodeName: 'bootkube-simulate', ...o.credentials });
    this.nodes = o.names.map(
      (name, i) =>
        new SimNode({
          name,
          rootDir: join(o.rootDir, name),
          credentials: o.credentials,
          clock: this.clock,
          nodeIP: nodeIP(i),
          master: i < o.masters,
          runners: o.runners,
          podsPort: o.podsPortBase ? o.podsPortBase + i : 0,
          pullDelayMs: o.pullDelayMs,
          sandboxDelayMs: o.sandboxDelayMs,
          imageFiles: o.imageFiles,
          onRequest: (r) => {
            this.requests++;
            o.onRequest?.(r);
          },
          onEvent: (e) => this.kubeletEvent(e, i < o.masters),
        }),
    );
  }

  private emit(e: ClusterEvent | Omit<ClusterEvent, 'at'>): void {
    this.o.onEvent?.({ ...e, at: new Date().toISOString() } as ClusterEvent);
  }

  private kubeletEvent(e: KubeletEvent, master: boolean): void {
    this.emit(e);
    if (e.type === 'registered' && master) void this.labelMaster(e.node);
  }

  private async labelMaster(node: string): Promise<void> {
    const r = await this.admin.request('kube', 'PATCH', `/api/v1/nodes/${node}`, {
      body: { metadata: { labels: { [LABELS.controlPlaneRole]: '' } } },
      contentType: 'application/merge-patch+json',
    });
    if (r.status === 200) this.emit({ type: 'labelled', node });
    else
      this.emit({
        type: 'labelFailed',
        node,
        message: `${r.status || r.error?.message}: ${r.body?.message ?? ''}`,
      });
  }

  node(name: string): SimNode {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no simulated node ${name}`);
    return n;
  }

  /** Starts every node, `startRate` per second. */
  async start(): Promise<void> {
    const rate = this.o.startRate ?? 20;
    const started: Promise<unknown>[] = [];
    for (let i = 0; i < this.nodes.length && !this.stopped; i++) {
      started.push(this.nodes[i]!.start());
      if ((i + 1) % Math.max(1, Math.round(rate / 10)) === 0 && i + 1 < this.nodes.length)
        await new Promise((r) => setTimeout(r, 100));
    }
    await Promise.all(started);
  }

  async stopNode(name: string): Promise<void> {
    await this.node(name).stop();
    this.emit({ type: 'nodeStopped', node: name });
  }

  async startNode(name: string): Promise<void> {
    await this.node(name).start();
  }

  async rebootNode(name: string): Promise<void> {
    this.emit({ type: 'nodeRebooting', node: name });
    await this.node(name).reboot();
  }

  /** Powers every node off. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.nodes.map((n) => n.stop()));
    this.admin.closeIdle(true);
  }

  stats(): ClusterStats {
    const now = Date.now();
    this.window.push(now, this.requests);
    while (this.window.length > 2 && now - this.window[0]! > 10_000) this.window.splice(0, 2);
    const [t0, r0] = [this.window[0]!, this.window[1]!];
    const rps = now > t0 ? ((this.requests - r0) * 1000) / (now - t0) : 0;
    const s: ClusterStats = {
      nodes: this.nodes.length,
      registered: 0,
      ready: 0,
      pods: 0,
      running: 0,
      requests: this.requests,
      requestsPerSecond: Math.round(rps * 10) / 10,
    };
    for (const n of this.nodes) {
      const k = n.kubelet;
      if (!k) continue;
      if (k.registered) s.registered++;
      if (k.ready) s.ready++;
      const c = k.counts();
      s.pods += c.pods;
      s.running += c.running;
    }
    return s;
  }
}
