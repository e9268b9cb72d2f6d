/**
 * What one iteration knows about the node, from the sources' answers and the disk: the parents
 * the API and the kubelet list, what the runtime runs, the checkpoints on disk. It answers the
 * state machine's questions for each checkpoint id, three-valued where a source did not answer:
 * "running" is the runtime's word (an apiserver blocked in lockexec runs), never Ready or serving.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { ANNOTATIONS } from '../render/constants.js';
import {
  checkpointControllerOf,
  controllerOf,
  isCheckpoint,
  isStatic,
  isValidParent,
  podId,
  REVISION_LABELS,
  splitId,
  type ControllerRef,
} from './pods.js';
import type { StoredManifest } from './store.js';
import type { PodListResult, RuntimePod, RuntimeResult } from './types.js';

export interface ViewInputs {
  api: PodListResult;
  kubelet: PodListResult;
  runtime: RuntimeResult;
  active: Map<string, StoredManifest>;
  inactive: Map<string, StoredManifest>;
}

export class NodeView {
  readonly apiOk: boolean;
  readonly kubeletOk: boolean;
  readonly runtimeOk: boolean;
  /** Valid parents by id, per source (empty when the source did not answer). */
  readonly apiParents = new Map<string, V1Pod>();
  readonly kubeletParents = new Map<string, V1Pod>();
  private readonly byUid = new Map<string, V1Pod>();
  private readonly runtimePods: RuntimePod[];

  constructor(private readonly inputs: ViewInputs) {
    this.apiOk = inputs.api.state === 'ok';
    this.kubeletOk = inputs.kubelet.state === 'ok';
    this.runtimeOk = inputs.runtime.state === 'ok';
    // The kubelet's copy first, so that the API's (authoritative) wins.
    for (const [result, parents] of [
      [inputs.kubelet, this.kubeletParents],
      [inputs.api, this.apiParents],
    ] as const) {
      if (result.state !== 'ok') continue;
      for (const pod of result.pods) {
        if (pod.metadata?.uid) this.byUid.set(pod.metadata.uid, pod);
        if (isValidParent(pod)) parents.set(podId(pod), pod);
      }
    }
    this.runtimePods = inputs.runtime.state === 'ok' ? inputs.runtime.pods : [];
  }

  /** The parent pod as the freshest source has it: the API, else the kubelet. */
  parent(id: string): V1Pod | undefined {
    return this.apiParents.get(id) ?? this.kubeletParents.get(id);
  }

  /** The checkpoint on disk: the inactive manifest, else the active one. */
  checkpoint(id: string): V1Pod | undefined {
    return (this.inputs.inactive.get(id) ?? this.inputs.active.get(id))?.pod;
  }

  /** The controller of the checkpoint's parent: from the parent if known, else recorded on the checkpoint. */
  controller(id: string): ControllerRef | undefined {
    const parent = this.parent(id);
    if (parent) return controllerOf(parent);
    const cp = this.checkpoint(id);
    return cp ? checkpointControllerOf(cp) : undefined;
  }

  /** P: the parent is in the API's list (false when the API did not answer). */
  parentInApi(id: string): boolean {
    return this.apiParents.has(id);
  }

  /** L: the parent is in the kubelet's /pods. */
  local(id: string): boolean {
    return this.kubeletParents.has(id);
  }

  /**
   * R: the parent runs, or another pod of the same controller does (a rollout's new pod, perhaps
   * blocked on the lock). `unknown` when the runtime did not answer, or when a running pod that
   * looks like such a pod cannot be attributed because neither the API nor the kubelet knows it.
   */
  running(id: string): boolean | 'unknown' {
    if (!this.runtimeOk) return 'unknown';
    const { namespace, name } = splitId(id);
    const spec = this.parent(id) ?? this.checkpoint(id);
    if (this.runtimePods.some((rp) => rp.namespace === namespace && rp.name === name && runs(rp, spec)))
      return true;
    const owner = this.controller(id);
    if (!owner) return false;
    let unattributed = false;
    for (const rp of this.runtimePods) {
      if (rp.namespace !== namespace || rp.name === name || isCheckpointSandbox(rp)) continue;
      const pod = this.byUid.get(rp.uid);
      if (pod) {
        if (controllerOf(pod)?.uid === owner.uid && runs(rp, pod)) return true;
      } else if (
        rp.annotations[ANNOTATIONS.checkpoint] === 'true' &&
        runs(rp, undefined) &&
        this.looksLike(rp, spec)
      ) {
        unattributed = true;
      }
    }
    return unattributed ? 'unknown' : false;
  }

  /** Whether this very pod (by uid, else by namespace/name) runs per the runtime. */
  podRuns(pod: V1Pod): boolean | 'unknown' {
    if (!this.runtimeOk) return 'unknown';
    const uid = pod.metadata?.uid;
    const rp = this.runtimePods.find((p) =>
      uid && p.uid ? p.uid === uid : p.namespace === pod.metadata?.namespace && p.name === pod.metadata?.name,
    );
    return rp ? runs(rp, pod) : false;
  }

  /** The running pods other than `pod`, each with its pod object if any source has one. */
  otherRunning(pod: V1Pod): Array<{ runtime: RuntimePod; pod: V1Pod | undefined }> {
    return this.runtimePods
      .filter((rp) => rp.uid !== pod.metadata?.uid && runs(rp, this.byUid.get(rp.uid)))
      .map((rp) => ({ runtime: rp, pod: this.byUid.get(rp.uid) ?? this.checkpointBySandbox(rp) }));
  }

  /** The API lists another checkpointable pod of the checkpoint's controller on this node. */
  controllerHasPod(id: string): boolean {
    const owner = this.controller(id);
    if (!owner) return false;
    return [...this.apiParents].some(([other, pod]) => other !== id && controllerOf(pod)?.uid === owner.uid);
  }

  /** Gone from the API, and a checkpoint on disk (in `inactiveIds`) copies a pod of its controller that the API lists. */
  superseded(id: string, inactiveIds: Iterable<string>): boolean {
    if (!this.apiOk || this.parentInApi(id)) return false;
    const owner = this.controller(id);
    if (!owner) return false;
    for (const other of inactiveIds) {
      if (other !== id && this.parentInApi(other) && this.controller(other)?.uid === owner.uid) return true;
    }
    return false;
  }

  private checkpointBySandbox(rp: RuntimePod): V1Pod | undefined {
    const of = rp.annotations[ANNOTATIONS.checkpointOf];
    return of === undefined ? undefined : this.checkpoint(`${rp.namespace}/${of}`);
  }

  // A running parent nobody can name: it counts against a checkpoint whose labels it carries
  // (leaving out those that change between revisions), so a rollout's new pod is not missed.
  private looksLike(rp: RuntimePod, spec: V1Pod | undefined): boolean {
    const labels = Object.entries(spec?.metadata?.labels ?? {}).filter(([k]) => !REVISION_LABELS.includes(k));
    return labels.every(([k, v]) => rp.labels[k] === v);
  }
}

/** A static pod or a checkpoint, by what the kubelet copied onto its sandbox. */
function isCheckpointSandbox(rp: RuntimePod): boolean {
  return (
    isCheckpoint({ metadata: { annotations: rp.annotations } }) ||
    isStatic({ metadata: { annotations: rp.annotations } })
  );
}

/**
 * One of its (non-init) containers is running: its processes exist, whether or not they serve.
 * A ready sandbox alone is not enough (a crash-looping pod in back-off has one), and a running
 * container counts even if its sandbox is not ready (its process may still hold a port or a lock).
 */
export function runs(rp: RuntimePod, spec: V1Pod | undefined): boolean {
  const init = new Set((spec?.spec?.initContainers ?? []).map((c) => c.name));
  return rp.containers.some((c) => c.state === 'running' && !init.has(c.name));
}
