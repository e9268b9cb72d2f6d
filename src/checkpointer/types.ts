/**
 * The checkpointer's inputs, behind interfaces so that one iteration can run on fakes with an
 * injected clock. Every source answers either with what it saw and when, or with `unknown` and a
 * reason: a source that errors, times out or is stale is never read as "nothing runs"
 * (bootkube#262, #267; DESIGN.md §6).
 */
import type { V1Pod, V1ServiceAccountTokenProjection } from '@kubernetes/client-node';

/** What a source knows: its answer and when it got it, or that it does not know. */
export type Observed<T> = ({ state: 'ok'; observedAt: number } & T) | { state: 'unknown'; reason: string };

export type PodListResult = Observed<{ pods: V1Pod[] }>;

/** A list of pods bound to this node: the API (authoritative) or the kubelet's `/pods` (its desired set). */
export interface PodSource {
  readonly name: string;
  /** Never throws: an error, a timeout or an abort is `{ state: 'unknown' }`. */
  list(signal: AbortSignal): Promise<PodListResult>;
}

export type ContainerRunState = 'created' | 'running' | 'exited' | 'unknown';

export interface RuntimeContainer {
  id: string;
  /** The container's name in the pod spec (CRI metadata, or label `io.kubernetes.container.name`). */
  name: string;
  state: ContainerRunState;
}

/**
 * A pod as the container runtime has it: identified by the CRI labels
 * `io.kubernetes.pod.{namespace,name,uid}`. A container blocked in `lockexec` on the hand-off lock
 * is `running` here: its process exists, which is all "running" means to the checkpointer.
 */
export interface RuntimePod {
  uid: string;
  namespace: string;
  name: string;
  /** The sandbox is SANDBOX_READY. */
  ready: boolean;
  /** The pod's labels (the kubelet copies them onto the sandbox). */
  labels: Record<string, string>;
  /** The pod's annotations (likewise), e.g. `kubernetes.io/config.source`, `checkpoint-of`. */
  annotations: Record<string, string>;
  containers: RuntimeContainer[];
}

export type RuntimeResult = Observed<{ pods: RuntimePod[] }>;

/** The truth about what runs locally: the CRI runtime service. */
export interface RuntimeSource {
  readonly name: string;
  /** Never throws: an error, a timeout or an abort is `{ state: 'unknown' }`. */
  list(signal: AbortSignal): Promise<RuntimeResult>;
}

/** A Secret's or ConfigMap's data, decoded; `undefined` when it does not exist. */
export type ObjectData = Record<string, Buffer> | undefined;

export interface IssuedToken {
  token: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

/** Reads what a checkpointed pod references, as the node (the Node authorizer allows exactly this). Throws on failure. */
export interface ObjectFetcher {
  secret(namespace: string, name: string, signal: AbortSignal): Promise<ObjectData>;
  configMap(namespace: string, name: string, signal: AbortSignal): Promise<ObjectData>;
  /** A TokenRequest bound to `pod` for the projection's audience and lifetime. */
  token(pod: V1Pod, projection: V1ServiceAccountTokenProjection, signal: AbortSignal): Promise<IssuedToken>;
}

/** Who holds and who waits on the API hand-off lock. */
export interface HandoffLockView {
  holders: number;
  waiters: number;
  /** Pod UIDs of the holders, when their processes are visible (host PID namespace); else undefined. */
  holderPodUids?: string[];
}

export interface HandoffLockInspector {
  /** `unknown` when the lock file or /proc/locks cannot be read. */
  inspect(): Promise<HandoffLockView | 'unknown'>;
}

/** Asks an apiserver pod's own port for `/readyz`: true only for a 200. */
export type ReadyzProbe = (pod: V1Pod, signal: AbortSignal) => Promise<boolean>;

/** The checkpointer's own pod, from the downward API (NODE_NAME, POD_NAME, POD_NAMESPACE). */
export interface CheckpointerIdentity {
  nodeName: string;
  podName: string;
  podNamespace: string;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

/** A logger that says nothing: tests and embedding callers that log elsewhere. */
export const silentLogger: Logger = { info() {}, warn() {} };
