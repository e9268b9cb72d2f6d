/**
 * The strategic-merge schema of the built-in kinds: which fields are not plain "merge the map,
 * replace the list". It is the `patchStrategy` / `patchMergeKey` struct tags of the Go types,
 * written down as data, read from (tag v0.32.0 = Kubernetes 1.32, checked against v0.26.0 and master):
 *   kubernetes/api core/v1/types.go, apps/v1/types.go, batch/v1/types.go, storage/v1/types.go,
 *   policy/v1/types.go, autoscaling/v2/types.go, admissionregistration/v1/types.go,
 *   flowcontrol/v1/types.go; kubernetes/apimachinery pkg/apis/meta/v1/types.go (ObjectMeta);
 *   kubernetes/kube-aggregator pkg/apis/apiregistration/v1/types.go (APIService).
 * Lists without a tag are atomic (replaced whole): tolerations, readinessGates, node taints,
 * images, volumesInUse, volumesAttached, runtimeHandlers and, in every version since 1.26,
 * containerStatuses / initContainerStatuses / ephemeralContainerStatuses.
 *
 * Paths are dotted field names from the object's root; list items are transparent, so
 * `spec.containers.env` is the env list of every container. No path runs below a map with
 * user-chosen keys (labels, data, nodeSelector), so a key containing dots cannot collide.
 */

export interface FieldStrategy {
  /** `merge`: lists merge by mergeKey (or as sets of scalars); `replace`: a map is replaced whole. */
  strategy: 'merge' | 'replace';
  /** The list items' identifying field; absent for lists of scalars. */
  mergeKey?: string;
  /**
   * The tag also says `retainKeys`. Applying a patch does not need it (a `$retainKeys` directive is
   * honoured wherever it appears, as in strategicpatch); it is kept so the table matches the tags.
   */
  retainKeys?: boolean;
}

export type Fields = Readonly<Record<string, FieldStrategy>>;

const merge = (mergeKey?: string, retainKeys?: boolean): FieldStrategy =>
  mergeKey === undefined
    ? { strategy: 'merge' }
    : retainKeys
      ? { strategy: 'merge', mergeKey, retainKeys }
      : { strategy: 'merge', mergeKey };

/** `fields` moved below `prefix`. */
function under(prefix: string, fields: Fields): Fields {
  return Object.fromEntries(Object.entries(fields).map(([path, s]) => [`${prefix}.${path}`, s]));
}

const objectMeta: Fields = { finalizers: merge(), ownerReferences: merge('uid') };

const container: Fields = {
  ports: merge('containerPort'),
  env: merge('name'),
  volumeMounts: merge('mountPath'),
  volumeDevices: merge('devicePath'),
};

const podSpec: Fields = {
  volumes: merge('name', true),
  containers: merge('name'),
  initContainers: merge('name'),
  ephemeralContainers: merge('name'),
  imagePullSecrets: merge('name'),
  hostAliases: merge('ip'),
  topologySpreadConstraints: merge('topologyKey'),
  schedulingGates: merge('name'),
  resourceClaims: merge('name', true),
  ...under('containers', container),
  ...under('initContainers', container),
  ...under('ephemeralContainers', container),
};

const podTemplateSpec: Fields = { ...under('metadata', objectMeta), ...under('spec', podSpec) };

const conditions: Fields = { conditions: merge('type') };
const statusConditions: Fields = under('status', conditions);

/** A top-level kind: ObjectMeta at `metadata` plus its own fields. */
const kind = (...parts: Fields[]): Fields => Object.assign({}, under('metadata', objectMeta), ...parts);

const workload = (...parts: Fields[]): Fields =>
  kind(under('spec.template', podTemplateSpec), statusConditions, ...parts);

const webhooks: Fields = { webhooks: merge('name'), 'webhooks.matchConditions': merge('name') };

/**
 * Built-in kinds by `group/Kind` (core group: `/Kind`). The version is not part of the key: the
 * tags of a kind agree across the versions kube-apiserver 1.26–1.32 serves.
 */
const KINDS: Readonly<Record<string, Fields>> = {
  '/Pod': kind(under('spec', podSpec), {
    'status.conditions': merge('type'),
    'status.podIPs': merge('ip'),
    'status.hostIPs': merge('ip'),
    'status.resourceClaimStatuses': merge('name', true),
  }),
  '/PodTemplate': kind(under('template', podTemplateSpec)),
  '/ReplicationController': workload(),
  // The kubelet sends addresses whole with a `$patch: replace` item: the merge tag on it is a known
  // mistake kept for compatibility (component-helpers node/util/status.go).
  '/Node': kind({
    'spec.podCIDRs': merge(),
    'status.conditions': merge('type'),
    'status.addresses': merge('type'),
  }),
  '/Service': kind({ 'spec.ports': merge('port') }, statusConditions),
  '/ServiceAccount': kind({ secrets: merge('name') }),
  '/Namespace': kind(statusConditions),
  '/PersistentVolumeClaim': kind(statusConditions),
  '/ComponentStatus': kind(conditions),
  '/ConfigMap': kind(),
  '/Secret': kind(),
  '/Endpoints': kind(),
  '/Event': kind(),
  '/LimitRange': kind(),
  '/ResourceQuota': kind(),
  '/PersistentVolume': kind(),
  'apps/Deployment': workload({ 'spec.strategy': { strategy: 'merge', retainKeys: true } }),
  'apps/DaemonSet': workload(),
  'apps/ReplicaSet': workload(),
  'apps/StatefulSet': workload(),
  'apps/ControllerRevision': kind(),
  'batch/Job': workload(),
  'batch/CronJob': kind(
    under('spec.jobTemplate.metadata', objectMeta),
    under('spec.jobTemplate.spec.template', podTemplateSpec),
  ),
  'autoscaling/HorizontalPodAutoscaler': kind(statusConditions),
  'policy/PodDisruptionBudget': kind({ 'spec.selector': { strategy: 'replace' } }, statusConditions),
  'coordination.k8s.io/Lease': kind(),
  'storage.k8s.io/CSINode': kind({ 'spec.drivers': merge('name') }),
  'storage.k8s.io/CSIDriver': kind(),
  'storage.k8s.io/StorageClass': kind(),
  'storage.k8s.io/VolumeAttachment': kind(),
  'storage.k8s.io/CSIStorageCapacity': kind(),
  'node.k8s.io/RuntimeClass': kind(),
  'scheduling.k8s.io/PriorityClass': kind(),
  'rbac.authorization.k8s.io/Role': kind(),
  'rbac.authorization.k8s.io/ClusterRole': kind(),
  'rbac.authorization.k8s.io/RoleBinding': kind(),
  'rbac.authorization.k8s.io/ClusterRoleBinding': kind(),
  'certificates.k8s.io/CertificateSigningRequest': kind(),
  'networking.k8s.io/Ingress': kind(),
  'networking.k8s.io/IngressClass': kind(),
  'networking.k8s.io/NetworkPolicy': kind(),
  'discovery.k8s.io/EndpointSlice': kind(),
  'events.k8s.io/Event': kind(),
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': kind(webhooks),
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': kind(webhooks),
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy': kind({
    'spec.matchConditions': merge('name'),
    'spec.variables': merge('name'),
  }),
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding': kind(),
  'flowcontrol.apiserver.k8s.io/FlowSchema': kind(statusConditions),
  'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration': kind(statusConditions),
  'apiextensions.k8s.io/CustomResourceDefinition': kind(),
  'apiregistration.k8s.io/APIService': kind(statusConditions),
};

/** The schema of a built-in kind, or undefined for kinds without Go types here (CRDs). */
export function schemaFor(gvk: { group: string; kind: string }): Fields | undefined {
  const key = `${gvk.group}/${gvk.kind}`;
  return Object.prototype.hasOwnProperty.call(KINDS, key) ? KINDS[key] : undefined;
}

/** The strategy of the field at `path` (dotted, list items transparent); undefined is the default. */
export function fieldAt(fields: Fields, path: string): FieldStrategy | undefined {
  return Object.prototype.hasOwnProperty.call(fields, path) ? fields[path] : undefined;
}
