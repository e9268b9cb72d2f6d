/**
 * The contract between the simulated kubelet (src/sim/kubelet) and what "runs" in its containers.
 * A container is a stand-in (src/sim/standins: kube-apiserver, kube-controller-manager,
 * kube-scheduler, recognised by image or command) or, for anything else, a generic simulated
 * process that just runs. The kubelet owns the lifecycle (image pull delay, start, probes,
 * restart back-off, termination); a runner owns only what the process does while it lives.
 */
import type { V1Container, V1Pod } from '@kubernetes/client-node';

/** What a running container can see of its node: the per-node host paths and identity. */
export interface SimNodeContext {
  nodeName: string;
  /** The node's root prefix: every host path (/etc/kubernetes/…, /var/lock/bootkube/…) lives under it. */
  rootDir: string;
  /** The API server URL the node's kubelet uses. */
  apiServer: string;
  /** Maps a host path as written in a pod (hostPath volume) to where it lives for this node. */
  hostPath(path: string): string;
  /** Maps a path inside the container to the host path behind it (through its volume mounts), if any. */
  containerPath(pod: V1Pod, container: V1Container, path: string): string | undefined;
  /** What the node's container runtime runs (the CRI's view), for a checkpointer stand-in. */
  runtimePods?(): Array<{
    pod: V1Pod;
    ready: boolean;
    containers: Array<{ id: string; name: string; running: boolean }>;
  }>;
  /** The port of the node's kubelet /pods, once its kubelet runs. */
  kubeletPort?(): number | undefined;
}

export interface ContainerContext {
  node: SimNodeContext;
  pod: V1Pod;
  container: V1Container;
  /** Aborted when the kubelet kills the container (after the grace period, or on node stop). */
  signal: AbortSignal;
  /** A line of the container's log (kept by the kubelet for diagnosis; not served as pods/log). */
  log(line: string): void;
}

export interface RunningContainer {
  /** The readiness probe's answer now (true when the container declares none and has started). */
  ready(): boolean | Promise<boolean>;
  /** The liveness probe's answer now. */
  live?(): boolean | Promise<boolean>;
  /** Settles when the process exits by itself: exit code 0 = completed, else failed. */
  readonly exited: Promise<{ exitCode: number; reason?: string }>;
  /** SIGTERM: exit within `graceMs`; the kubelet aborts `signal` (SIGKILL) after that. */
  stop(graceMs: number): Promise<void>;
}

/**
 * Starts a container's process, or returns undefined when this runner does not handle the
 * container (the kubelet then tries the next runner; the last one runs anything).
 */
export type ContainerRunner = (ctx: ContainerContext) => Promise<RunningContainer | undefined>;
