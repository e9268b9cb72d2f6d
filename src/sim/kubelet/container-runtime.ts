/**
 * The simulated container runtime of one node (containerd's part): sandboxes, containers and
 * images. It outlives the kubelet, as containerd does: a kubelet that exits (lock contention) or
 * restarts leaves its containers running and the next one adopts them; only powerOff() (a node
 * stop or reboot) kills them, and their records stay behind as exited, so restart counts carry on
 * after a reboot as they do on a real node. What a container does is the runners' business
 * (src/sim/runtime.ts): the first that accepts it runs it.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { ContainerRunner, RunningContainer, SimNodeContext } from '../runtime.js';
import type { Clock } from './clock.js';

export interface RuntimeContainer {
  id: string;
  podUid: string;
  name: string;
  /** The attempt number: the container's restartCount when it started. */
  attempt: number;
  image: string;
  imageID: string;
  startedAt: number;
  finishedAt?: number;
  exitCode?: number;
  reason?: string;
  running: boolean;
  handle?: RunningContainer;
  readonly kill: AbortController;
  readonly logs: string[];
  /** Settles once the container has exited and its record says so. */
  readonly exited: Promise<void>;
}

export interface Sandbox {
  podUid: string;
  id: string;
  ip: string;
  createdAt: number;
}

export interface ImageRecord {
  names: string[];
  imageID: string;
  sizeBytes: number;
}

/** The sandbox ("pause") image every node has before its first pod. */
export const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10';
const LOG_LINES = 200;

/** A reference as containerd reports it: docker.io/library/ for short names, :latest when untagged. */
export function normalizeImage(ref: string): string {
  let name = ref;
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  if (slash < 0) name = `docker.io/library/${name}`;
  else if (!first.includes('.') && !first.includes(':') && first !== 'localhost') name = `docker.io/${name}`;
  const last = name.slice(name.lastIndexOf('/') + 1);
  if (!last.includes(':') && !name.includes('@')) name = `${name}:latest`;
  return name;
}

/** A stable digest per reference, so the same image has the same ID on every node. */
export function imageIdOf(ref: string): string {
  const norm = normalizeImage(ref);
  const repo = norm.replace(/[:@][^/]*$/, '');
  return `${repo}@sha256:${createHash('sha256').update(norm).digest('hex')}`;
}

export class ContainerRuntime {
  readonly images = new Map<string, ImageRecord>();
  readonly sandboxes = new Map<string, Sandbox>();
  /** The pod each container was started for, by UID: what CRI's sandbox metadata and labels carry. */
  readonly pods = new Map<string, V1Pod>();
  private readonly containers = new Map<string, RuntimeContainer>();
  private readonly listeners = new Set<(c: RuntimeContainer) => void>();
  private readonly exitFns = new Map<string, (exitCode: number, reason: string) => void>();
  private ipSeq = 2;
  /** Changes on every power-on: the kubelet reports it as nodeInfo.bootID. */
  bootId = crypto.randomUUID();
  /** The machine's identity (/etc/machine-id, the DMI product UUID): stable across reboots. */
  readonly machineID: string;
  readonly systemUUID: string;

  constructor(
    readonly node: SimNodeContext,
    private readonly clock: Clock,
    private runners: ContainerRunner[],
  ) {
    this.addImage(PAUSE_IMAGE, 321_520);
    const h = createHash('md5').update(node.nodeName).digest('hex');
    this.machineID = h;
    this.systemUUID = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  setRunners(runners: ContainerRunner[]): void {
    this.runners = runners;
  }

  /** Called with every container that exits (PLEG's ContainerDied); returns the unsubscribe. */
  onExit(fn: (c: RuntimeContainer) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  addImage(
    ref: string,
    sizeBytes = 10_000_000 + (createHash('md5').update(ref).digest().readUInt32BE(0) % 90_000_000),
  ): ImageRecord {
    const norm = normalizeImage(ref);
    const existing = this.images.get(norm);
    if (existing) return existing;
    const rec: ImageRecord = { names: [imageIdOf(ref), norm], imageID: imageIdOf(ref), sizeBytes };
    this.images.set(norm, rec);
    return rec;
  }

  hasImage(ref: string): boolean {
    return this.images.has(normalizeImage(ref));
  }

  /** Creates the pod's sandbox: its own IP, or the node's under hostNetwork. */
  runSandbox(podUid: string, hostNetwork: boolean, hostIP: string): Sandbox {
    const existing = this.sandboxes.get(podUid);
    if (existing) return existing;
    const n = this.ipSeq++;
    const ip = hostNetwork ? hostIP : `10.244.${(n >> 8) & 255}.${n & 255}`;
    const sb: Sandbox = { podUid, id: randomBytes(32).toString('hex'), ip, createdAt: this.clock.now() };
    this.sandboxes.set(podUid, sb);
    return sb;
  }

  removeSandbox(podUid: string): void {
    this.sandboxes.delete(podUid);
  }

  containersOf(podUid: string): RuntimeContainer[] {
    return [...this.containers.values()].filter((c) => c.podUid === podUid);
  }

  /** The newest attempt of a container of a pod. */
  latest(podUid: string, name: string): RuntimeContainer | undefined {
    let best: RuntimeContainer | undefined;
    for (const c of this.containers.values())
      if (c.podUid === podUid && c.name === name && (!best || c.attempt >= best.attempt)) best = c;
    return best;
  }

  /** The exited attempt before `c` (the container status's lastState). */
  previous(c: RuntimeContainer): RuntimeContainer | undefined {
    let best: RuntimeContainer | undefined;
    for (const o of this.containers.values())
      if (
        o.podUid === c.podUid &&
        o.name === c.name &&
        o !== c &&
        !o.running &&
        o.attempt < c.attempt &&
        (!best || o.attempt > best.attempt)
      )
        best = o;
    return best;
  }

  /** Starts a container through the first runner that takes it; a runner's failure is a StartError exit. */
  async startContainer(pod: V1Pod, container: V1Container, attempt: number): Promise<RuntimeContainer> {
    const podUid = pod.metadata!.uid!;
    this.pods.set(podUid, pod);
    const image = this.addImage(container.image ?? '');
    let markExited!: () => void;
    const c: RuntimeContainer = {
      id: randomBytes(32).toString('hex'),
      podUid,
      name: container.name,
      attempt,
      image: image.names[1]!,
      imageID: image.imageID,
      startedAt: this.clock.now(),
      running: true,
      kill: new AbortController(),
      logs: [],
      exited: new Promise<void>((resolve) => (markExited = resolve)),
    };
    // Older attempts of the same name are garbage: keep only the last exited one (for lastState).
    const prior = this.latest(podUid, container.name);
    for (const old of this.containers.values())
      if (old.podUid === podUid && old.name === container.name && old !== prior && !old.running)
        this.containers.delete(old.id);
    this.containers.set(c.id, c);
    const exit = (exitCode: number, reason: string) => {
      if (!c.running) return;
      c.running = false;
      c.exitCode = exitCode;
      c.reason = reason;
      c.finishedAt = this.clock.now();
      this.exitFns.delete(c.id);
      markExited();
      for (const l of this.listeners) l(c);
    };
    this.exitFns.set(c.id, exit);
    const ctx = {
      node: this.node,
      pod,
      container,
      signal: c.kill.signal,
      log: (line: string) => {
        c.logs.push(line);
        if (c.logs.length > LOG_LINES) c.logs.shift();
      },
    };
    try {
      for (const runner of this.runners) {
        const handle = await runner(ctx);
        if (!handle) continue;
        c.handle = handle;
        handle.exited.then(
          (r) => exit(r.exitCode, r.reason ?? (r.exitCode === 0 ? 'Completed' : 'Error')),
          (err: Error) => exit(128, `StartError: ${err.message}`),
        );
        return c;
      }
      throw new Error('no runner accepted the container');
    } catch (err) {
      c.logs.push(`start failed: ${(err as Error).message}`);
      c.startedAt = this.clock.now();
      exit(128, 'StartError');
      return c;
    }
  }

  /** SIGTERM, then SIGKILL when `graceMs` (kubelet ms) has passed; resolves once it has exited. */
  async stopContainer(c: RuntimeContainer, graceMs: number): Promise<void> {
    if (!c.running) return;
    const timer = this.clock.after(Math.max(graceMs, 0), () => c.kill.abort(new Error('SIGKILL')));
    try {
      await c.handle?.stop(graceMs);
    } catch {
      // A runner that fails to stop gets killed at the deadline like any process.
    }
    await c.exited;
    timer.cancel();
  }

  /** Power loss: every container dies at once (exit 255, "Unknown"), sandboxes are gone; images stay on disk. */
  powerOff(): void {
    for (const c of this.containers.values()) {
      if (!c.running) continue;
      c.kill.abort(new Error('power off'));
      this.exitFns.get(c.id)?.(255, 'Unknown');
    }
    this.sandboxes.clear();
    this.bootId = crypto.randomUUID();
  }

  /** Removes every record of a pod (after the kubelet has stopped and forgotten it). */
  removePod(podUid: string): void {
    for (const c of this.containers.values())
      if (c.podUid === podUid && !c.running) this.containers.delete(c.id);
    this.sandboxes.delete(podUid);
    if (!this.containersOf(podUid).length) this.pods.delete(podUid);
  }

  /** Every pod with a container record, as the CRI lists them (sandbox metadata, labels, annotations, containers). */
  listPods(): Array<{ pod: V1Pod; ready: boolean; containers: RuntimeContainer[] }> {
    return [...this.pods].map(([uid, pod]) => ({
      pod,
      ready: this.sandboxes.has(uid),
      containers: this.containersOf(uid),
    }));
  }

  runningCount(): number {
    let n = 0;
    for (const c of this.containers.values()) if (c.running) n++;
    return n;
  }
}
