/**
 * What a pod is to the checkpointer (reference §5.1): a parent (annotated, not static, not itself a
 * checkpoint), a checkpoint (carries `checkpoint-of`), the checkpointer's own pod, and the few facts
 * read off a pod: its id, its controller, its readiness, whether it takes the API hand-off lock,
 * and the user its secret files belong to.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { ANNOTATIONS, API_SERVER_LOCK } from '../render/constants.js';
import { ConflictingSecurityContextError } from './errors.js';
import type { CheckpointerIdentity } from './types.js';

/** Set by the kubelet on static pods and copied onto their mirror pods. */
export const CONFIG_SOURCE_ANNOTATION = 'kubernetes.io/config.source';

/**
 * On a checkpoint: the controller of the pod it copies, `<kind>/<name>/<uid>`. It lets a checkpoint
 * step down for a new pod of the same DaemonSet (a new name) and be replaced by it (DESIGN.md §6).
 */
export const CHECKPOINT_CONTROLLER_ANNOTATION = 'checkpointer.alpha.coreos.com/checkpoint-controller';

/** Labels that differ between two pods of one controller: never used to tell pods of a controller apart. */
export const REVISION_LABELS = ['controller-revision-hash', 'pod-template-generation', 'pod-template-hash'];

export interface ControllerRef {
  kind: string;
  name: string;
  uid: string;
}

/** `namespace/name`, the key of every checkpoint. */
export function podId(pod: V1Pod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

/** Splits an id back into namespace and name. */
export function splitId(id: string): { namespace: string; name: string } {
  const slash = id.indexOf('/');
  return { namespace: id.slice(0, slash), name: id.slice(slash + 1) };
}

/** A checkpoint: has `checkpoint-of`, whatever its value. */
export function isCheckpoint(pod: V1Pod): boolean {
  return pod.metadata?.annotations?.[ANNOTATIONS.checkpointOf] !== undefined;
}

/** A static pod (or its mirror): the kubelet read it from a file. */
export function isStatic(pod: V1Pod): boolean {
  return pod.metadata?.annotations?.[CONFIG_SOURCE_ANNOTATION] === 'file';
}

/** A pod to checkpoint: annotated `checkpoint: "true"`, not static, not itself a checkpoint. */
export function isValidParent(pod: V1Pod): boolean {
  const annotations = pod.metadata?.annotations;
  return annotations?.[ANNOTATIONS.checkpoint] === 'true' && !isStatic(pod) && !isCheckpoint(pod);
}

/** The pod's controller (DaemonSet, ReplicaSet, …) from its ownerReferences, if any. */
export function controllerOf(pod: V1Pod): ControllerRef | undefined {
  const ref = pod.metadata?.ownerReferences?.find((r) => r.controller);
  return ref ? { kind: ref.kind, name: ref.name, uid: ref.uid } : undefined;
}

/** The controller recorded on a checkpoint (see CHECKPOINT_CONTROLLER_ANNOTATION). */
export function checkpointControllerOf(checkpoint: V1Pod): ControllerRef | undefined {
  const value = checkpoint.metadata?.annotations?.[CHECKPOINT_CONTROLLER_ANNOTATION];
  const m = value ? /^([^/]+)\/([^/]+)\/([^/]+)$/.exec(value) : null;
  return m ? { kind: m[1]!, name: m[2]!, uid: m[3]! } : undefined;
}

export function formatController(ref: ControllerRef): string {
  return `${ref.kind}/${ref.name}/${ref.uid}`;
}

/** The Ready condition is True. */
export function isReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * Takes the API hand-off lock through lockexec (an apiserver as render writes it): its proof of
 * health is holding the lock and answering /readyz, since its Ready condition may come from
 * another apiserver answering the probe on the same host port.
 */
export function usesHandoffLock(pod: V1Pod): boolean {
  return (pod.spec?.containers ?? []).some((c) => {
    const argv = [...(c.command ?? []), ...(c.args ?? [])];
    return /(^|\/)lockexec$/.test(argv[0] ?? '') && argv.includes(API_SERVER_LOCK);
  });
}

/** The name the checkpointer's own pod has in the API: a static copy runs as `<name>-<node>`. */
export function selfPodName(identity: CheckpointerIdentity): string {
  const suffix = `-${identity.nodeName}`;
  return identity.podName.endsWith(suffix) ? identity.podName.slice(0, -suffix.length) : identity.podName;
}

/** The id of the checkpointer's own pod (the DaemonSet pod, whichever copy is running). */
export function selfId(identity: CheckpointerIdentity): string {
  return `${identity.podNamespace}/${selfPodName(identity)}`;
}

/** The name the kubelet gives a static pod from a file whose pod is `name`. */
export function staticPodName(name: string, nodeName: string): string {
  return `${name}-${nodeName}`;
}

/**
 * The owner of the pod's checkpointed files (reference §5.5): the pod's runAsUser, which every
 * container that sets one must agree with, and its fsGroup; 0/0 by default.
 */
export function podUserAndGroup(pod: V1Pod): { uid: number; gid: number } {
  const podUser = pod.spec?.securityContext?.runAsUser;
  let uid = podUser;
  for (const c of pod.spec?.containers ?? []) {
    const user = c.securityContext?.runAsUser;
    if (user === undefined) continue;
    if (uid !== undefined && uid !== user) {
      throw new ConflictingSecurityContextError(
        `pod ${podId(pod)}: container ${c.name} runs as ${user} but ${podUser === uid ? 'the pod' : 'another container'} as ${uid}`,
        { hint: 'give every container the same runAsUser, or set it once on the pod' },
      );
    }
    uid = user;
  }
  return { uid: uid ?? 0, gid: pod.spec?.securityContext?.fsGroup ?? 0 };
}
