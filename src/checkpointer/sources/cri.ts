/**
 * The container runtime as the truth about what runs on this node (DESIGN.md §6, reference
 * §7.2): CRI runtime.v1 over gRPC on a unix socket. Sandboxes (any state) give each pod's
 * identity, labels and annotations; running containers say whether its processes run. A pod is
 * known by the CRI labels `io.kubernetes.pod.{namespace,name,uid}` where sandbox metadata lacks
 * them. Any error, timeout or abort makes the answer `unknown`, never "nothing runs" (v0.14 read
 * a CRI error as an empty list and activated checkpoints while their parents ran).
 */
import * as grpc from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { PodSourceError } from '../errors.js';
import type { ContainerRunState, RuntimePod, RuntimeResult, RuntimeSource } from '../types.js';
import { CRI_PROTO } from './cri-proto.js';

export const POD_LABELS = {
  name: 'io.kubernetes.pod.name',
  namespace: 'io.kubernetes.pod.namespace',
  uid: 'io.kubernetes.pod.uid',
  container: 'io.kubernetes.container.name',
} as const;

interface Metadata {
  name?: string;
  uid?: string;
  namespace?: string;
}
interface Sandbox {
  id: string;
  metadata?: Metadata | null;
  state: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
interface Container {
  id: string;
  pod_sandbox_id: string;
  metadata?: { name?: string } | null;
  state: string;
  labels: Record<string, string>;
}
export interface RuntimeVersion {
  runtime_name: string;
  runtime_version: string;
  runtime_api_version: string;
}

type Unary = (
  req: object,
  meta: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res: unknown) => void,
) => grpc.ClientUnaryCall;

let serviceCtor: grpc.ServiceClientConstructor | undefined;
function runtimeService(): grpc.ServiceClientConstructor {
  if (!serviceCtor) {
    const root = protobuf.parse(CRI_PROTO, { keepCase: true }).root;
    const def = fromJSON(root.toJSON(), { keepCase: true, longs: String, enums: String, defaults: true });
    const pkg = grpc.loadPackageDefinition(def) as unknown as {
      runtime: { v1: { RuntimeService: grpc.ServiceClientConstructor } };
    };
    serviceCtor = pkg.runtime.v1.RuntimeService;
  }
  return serviceCtor;
}

/** `unix:///run/containerd/containerd.sock` or a bare absolute path → a gRPC target. Only unix sockets. */
export function criTarget(endpoint: string): string {
  if (endpoint.startsWith('/')) return `unix://${endpoint}`;
  if (endpoint.startsWith('unix://')) return endpoint;
  throw new PodSourceError(`container runtime endpoint ${endpoint}: only unix sockets are supported`, {
    hint: 'pass --container-runtime-endpoint=unix:///run/containerd/containerd.sock',
  });
}

export interface CriOptions {
  endpoint: string;
  /** Per call (default 5 s): a runtime that hangs must not stall the checkpointer's loop. */
  timeoutMs?: number;
  clock?: () => number;
}

/** A minimal CRI RuntimeService client. */
export class CriClient {
  private readonly client: grpc.Client;
  private readonly timeoutMs: number;

  constructor(opts: CriOptions) {
    const Service = runtimeService();
    this.client = new Service(criTarget(opts.endpoint), grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': 16 * 1024 * 1024,
    });
    this.timeoutMs = opts.timeoutMs ?? 5_000;
  }

  version(signal: AbortSignal): Promise<RuntimeVersion> {
    return this.call<RuntimeVersion>('Version', { version: 'v1' }, signal);
  }

  async listPodSandboxes(signal: AbortSignal): Promise<Sandbox[]> {
    return (await this.call<{ items: Sandbox[] }>('ListPodSandbox', {}, signal)).items;
  }

  async listRunningContainers(signal: AbortSignal): Promise<Container[]> {
    const req = { filter: { state: { state: 'CONTAINER_RUNNING' } } };
    return (await this.call<{ containers: Container[] }>('ListContainers', req, signal)).containers;
  }

  close(): void {
    this.client.close();
  }

  private call<T>(method: string, req: object, signal: AbortSignal): Promise<T> {
    const fn = (this.client as unknown as Record<string, Unary>)[method]!.bind(this.client);
    return new Promise<T>((resolve, reject) => {
      if (signal.aborted) return reject(new PodSourceError(`CRI ${method}: aborted`));
      const call = fn(req, new grpc.Metadata(), { deadline: Date.now() + this.timeoutMs }, (err, res) => {
        signal.removeEventListener('abort', cancel);
        if (err) reject(new PodSourceError(`CRI ${method}: ${err.details || err.message}`, { cause: err }));
        else resolve(res as T);
      });
      const cancel = () => call.cancel();
      signal.addEventListener('abort', cancel, { once: true });
    });
  }
}

/** The runtime's pods as a RuntimeSource; `close()` ends the gRPC channel. */
export function criRuntimeSource(opts: CriOptions): RuntimeSource & { client: CriClient; close(): void } {
  const client = new CriClient(opts);
  const clock = opts.clock ?? Date.now;
  return {
    name: 'cri',
    client,
    close: () => client.close(),
    async list(signal): Promise<RuntimeResult> {
      try {
        const [sandboxes, containers] = await Promise.all([
          client.listPodSandboxes(signal),
          client.listRunningContainers(signal),
        ]);
        return { state: 'ok', pods: runtimePods(sandboxes, containers), observedAt: clock() };
      } catch (err) {
        return { state: 'unknown', reason: (err as Error).message };
      }
    },
  };
}

/** Joins sandboxes and containers into pods, by pod UID. */
export function runtimePods(sandboxes: Sandbox[], containers: Container[]): RuntimePod[] {
  const pods = new Map<string, RuntimePod>();
  const sandboxPod = new Map<string, RuntimePod>();
  const podFor = (
    meta: Metadata | null | undefined,
    labels: Record<string, string>,
    annotations: Record<string, string>,
  ) => {
    const uid = meta?.uid || labels[POD_LABELS.uid] || '';
    let pod = pods.get(uid);
    if (!pod) {
      pod = {
        uid,
        namespace: meta?.namespace || labels[POD_LABELS.namespace] || '',
        name: meta?.name || labels[POD_LABELS.name] || '',
        ready: false,
        labels: {},
        annotations: {},
        containers: [],
      };
      pods.set(uid, pod);
    }
    Object.assign(pod.labels, labels);
    Object.assign(pod.annotations, annotations);
    return pod;
  };
  for (const s of sandboxes) {
    const pod = podFor(s.metadata, s.labels ?? {}, s.annotations ?? {});
    if (s.state === 'SANDBOX_READY') pod.ready = true;
    sandboxPod.set(s.id, pod);
  }
  for (const c of containers) {
    const pod = sandboxPod.get(c.pod_sandbox_id) ?? podFor(undefined, c.labels ?? {}, {});
    pod.containers.push({
      id: c.id,
      name: c.metadata?.name || c.labels?.[POD_LABELS.container] || '',
      state: containerState(c.state),
    });
  }
  return [...pods.values()].filter((p) => p.uid || p.name);
}

function containerState(state: string): ContainerRunState {
  return (
    ({ CONTAINER_CREATED: 'created', CONTAINER_RUNNING: 'running', CONTAINER_EXITED: 'exited' } as const)[
      state as 'CONTAINER_CREATED'
    ] ?? 'unknown'
  );
}
