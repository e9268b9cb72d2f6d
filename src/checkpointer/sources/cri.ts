/**
 * The container runtime as the truth about what runs on this node (DESIGN.md §6, reference
 * §7.2): CRI runtime.v1 over gRPC on a unix socket. Sandboxes (any state) give each pod's
 * identity, labels and annotations; running containers say whether its processes run. A pod is
 * known by the CRI labels `io.kubernetes.pod.{namespace,name,uid}` where sandbox metadata lacks
 * them. Any error, timeout or abort makes the answer `unknown`, never "nothing runs" (v0.14 read
 * a CRI error as an empty list and activated checkpoints while their parents ran).
 */
import http2 from 'node:http2';
import net from 'node:net';
import { PodSourceError } from '../errors.js';
import type { ContainerRunState, RuntimePod, RuntimeResult, RuntimeSource } from '../types.js';
import {
  decodeListContainersResponse,
  decodeListPodSandboxResponse,
  decodeVersionResponse,
  encodeListPodSandboxRequest,
  encodeListRunningContainersRequest,
  encodeVersionRequest,
  type Container,
  type RuntimeVersion,
  type Sandbox,
} from './cri-wire.js';

export type { RuntimeVersion } from './cri-wire.js';

export const POD_LABELS = {
  name: 'io.kubernetes.pod.name',
  namespace: 'io.kubernetes.pod.namespace',
  uid: 'io.kubernetes.pod.uid',
  container: 'io.kubernetes.container.name',
} as const;

/** The largest answer taken (as the kubelet's CRI client: 16 MiB). */
const MAX_MESSAGE = 16 * 1024 * 1024;

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

/**
 * A minimal CRI RuntimeService client: gRPC's unary calls over node:http2 on the unix socket
 * (POST /runtime.v1.RuntimeService/<Method>, length-prefixed protobuf, grpc-status in the
 * trailers). One HTTP/2 connection, made again after it breaks.
 */
export class CriClient {
  private readonly socketPath: string;
  private readonly timeoutMs: number;
  private session?: http2.ClientHttp2Session;

  constructor(opts: CriOptions) {
    this.socketPath = criTarget(opts.endpoint).slice('unix://'.length);
    this.timeoutMs = opts.timeoutMs ?? 5_000;
  }

  async version(signal: AbortSignal): Promise<RuntimeVersion> {
    return decodeVersionResponse(await this.call('Version', encodeVersionRequest('v1'), signal));
  }

  async listPodSandboxes(signal: AbortSignal): Promise<Sandbox[]> {
    return decodeListPodSandboxResponse(
      await this.call('ListPodSandbox', encodeListPodSandboxRequest(), signal),
    );
  }

  async listRunningContainers(signal: AbortSignal): Promise<Container[]> {
    return decodeListContainersResponse(
      await this.call('ListContainers', encodeListRunningContainersRequest(), signal),
    );
  }

  close(): void {
    this.session?.destroy();
    this.session = undefined;
  }

  private connect(): http2.ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const session = http2.connect('http://localhost', {
      createConnection: () => net.connect(this.socketPath),
    });
    // A broken connection fails the calls on it; the next call connects again.
    session.on('error', () => undefined);
    session.on('close', () => {
      if (this.session === session) this.session = undefined;
    });
    session.on('goaway', () => {
      if (this.session === session) this.session = undefined;
    });
    // The daemon's loop keeps the process alive, not an idle connection.
    session.unref();
    this.session = session;
    return session;
  }

  private call(method: string, body: Uint8Array, signal: AbortSignal): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      let settled = false;
      const finish = (why: string | undefined, value?: Uint8Array, cause?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        if (why === undefined) resolve(value!);
        else reject(new PodSourceError(`CRI ${method}: ${why}`, { cause }));
      };
      const timer = setTimeout(() => {
        finish(`no answer within ${this.timeoutMs} ms`);
        req?.close(http2.constants.NGHTTP2_CANCEL);
      }, this.timeoutMs);
      const onAbort = () => {
        finish('aborted');
        req?.close(http2.constants.NGHTTP2_CANCEL);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });

      let req: http2.ClientHttp2Stream | undefined;
      try {
        req = this.connect().request({
          ':method': 'POST',
          ':path': `/runtime.v1.RuntimeService/${method}`,
          'content-type': 'application/grpc',
          te: 'trailers',
          'grpc-timeout': `${this.timeoutMs}m`,
        });
      } catch (err) {
        return finish((err as Error).message, undefined, err);
      }
      let httpStatus = 0;
      let grpcStatus: string | undefined;
      let grpcMessage = '';
      const status = (h: http2.IncomingHttpHeaders) => {
        if (h['grpc-status'] === undefined) return;
        grpcStatus = String(h['grpc-status']);
        grpcMessage = decodeURIComponent(String(h['grpc-message'] ?? ''));
      };
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('response', (h) => {
        httpStatus = Number(h[':status']);
        status(h); // a trailers-only answer (an error) carries its status here
      });
      req.on('trailers', status);
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_MESSAGE + 5) {
          finish(`answer larger than ${MAX_MESSAGE} bytes`);
          req!.close(http2.constants.NGHTTP2_CANCEL);
        } else chunks.push(chunk);
      });
      req.on('error', (err) => finish(err.message, undefined, err));
      req.on('end', () => {
        if (httpStatus !== 200) return finish(`HTTP status ${httpStatus}`);
        if (grpcStatus !== '0') return finish(grpcMessage || `gRPC status ${grpcStatus ?? 'missing'}`);
        const all = Buffer.concat(chunks);
        if (all.length < 5) return finish('empty answer');
        if (all[0] !== 0) return finish('compressed answer (none was asked for)');
        const n = all.readUInt32BE(1);
        if (all.length < 5 + n) return finish('truncated answer');
        finish(undefined, all.subarray(5, 5 + n));
      });
      const frame = Buffer.alloc(5 + body.length);
      frame.writeUInt32BE(body.length, 1);
      frame.set(body, 5);
      req.end(frame);
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

type Metadata = Sandbox['metadata'];

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
