/**
 * The resource table's types: what the handlers, selectors and discovery know about a resource.
 * The shape is the contract the HTTP handlers are written against; the optional fields at the end
 * are additions that the handlers may use and that nothing requires.
 */

/** A JSON object as it comes off the wire or out of storage. */
export type JsonObject = Record<string, unknown>;

/** The subresources kube-apiserver serves that this shim knows of. */
export type Subresource =
  'status' | 'binding' | 'token' | 'log' | 'eviction' | 'scale' | 'finalize' | 'approval' | 'proxy';

export interface ResourceInfo {
  /** '' for core. */
  group: string;
  /** The served version ('v1'); objects are stored in it unless storageApiVersion says otherwise. */
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  /** As real discovery lists them. */
  shortNames: string[];
  categories: string[];
  verbs: string[];
  /** The key prefix under /registry: 'pods', 'minions', 'services/specs', CRs '<group>/<plural>'. */
  storagePrefix: string;
  /** Only those the real server has. */
  subresources: Subresource[];
  /**
   * Field selector labels accepted besides metadata.name and metadata.namespace, as the real
   * server's field label conversion and GetAttrs accept them (pods: spec.nodeName, status.phase, …).
   */
  selectableFields: string[];
  /** Creation-time TTL in seconds (events: 3600), else undefined. */
  ttlSeconds?: number;

  /** A create-only review (TokenReview, SubjectAccessReview, …): nothing is stored, no key exists. */
  virtual?: boolean;
  /**
   * The apiVersion objects are written to etcd with, when it is not group/version:
   * events.k8s.io/v1 Events are stored as core v1 Events, a CR's non-storage versions as its
   * storage version. conversion.ts converts both ways.
   */
  storageApiVersion?: string;
  /** For a custom resource: the name of the CRD that defines it. */
  crd?: string;
  /** For a custom resource with a scale subresource: where the replicas live (CRD spec.versions[].subresources.scale). */
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
}

export interface Registry {
  /** Every resource served: built-ins, virtual reviews and custom resources, in discovery order. */
  resources(): ResourceInfo[];
  /** The resource at /api[s]/<group>/<version>/…/<plural>; 'pods/status' is accepted when pods has status. */
  lookup(group: string, version: string, plural: string): ResourceInfo | undefined;
  /** The resource serving apiVersion/kind ('v1'/'Pod', 'apps/v1'/'Deployment'). */
  byKind(apiVersion: string, kind: string): ResourceInfo | undefined;
  /**
   * Keeps the CRD-defined resources in sync: call with every established CRD object
   * (apiextensions.k8s.io/v1); resources of CRDs no longer passed disappear.
   */
  syncCustomResources(crds: object[]): void;
}

/** A validation failure as the real server words it in a 422 Invalid Status's causes. */
export interface FieldCause {
  field: string;
  /** The StatusCause reason: FieldValueRequired, FieldValueInvalid, FieldValueForbidden, … */
  type: string;
  message: string;
}
