/** The shapes every recovery source produces and the writer consumes. */

/** A Kubernetes object as JSON (apiVersion, kind, metadata, …). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

/**
 * What a source read from kube-system: the workloads (DaemonSets, Deployments), Secrets and
 * ConfigMaps. A checkpoint dir has no workloads; its checkpointed pods stand in for them
 * (`pods`), with their Secret volumes restored from the checkpointed files. Secrets and ConfigMaps
 * are decoded only when the control plane needs them: a protobuf value elsewhere in kube-system
 * does not stop a recovery.
 */
export interface SourceSnapshot {
  /** For messages: `etcd at http://10.0.0.10:2379 (prefix /registry)`. */
  description: string;
  workloads: KubeObject[];
  pods: KubeObject[];
  /** By name; calling the function decodes the object, and may throw naming its key. */
  secrets: Map<string, () => KubeObject>;
  configMaps: Map<string, () => KubeObject>;
  /** Keys (or files) the source read but holds none of; 0 means the source is empty where we looked. */
  objectCount: number;
  /** The etcd revision the snapshot was read at, when the source is etcd. */
  revision?: string;
}

/** Label selectors (kubectl syntax) finding the three control-plane components. */
export interface Selectors {
  apiserver: string;
  controllerManager: string;
  scheduler: string;
}

export const DEFAULT_SELECTORS: Selectors = {
  apiserver: 'tier=control-plane,k8s-app=kube-apiserver',
  controllerManager: 'tier=control-plane,k8s-app=kube-controller-manager',
  scheduler: 'tier=control-plane,k8s-app=kube-scheduler',
};

export type Role = keyof Selectors;

/** Objects already decoded, as the lazy entries of a snapshot. */
export function byName(objects: KubeObject[]): Map<string, () => KubeObject> {
  return new Map(objects.map((o) => [o.metadata.name, () => o]));
}
