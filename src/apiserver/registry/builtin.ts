/**
 * The built-in resources, as data. Every row was checked against kube-apiserver:
 * - names, scope, verbs, shortNames, categories and subresources: the discovery documents k/k
 *   checks in (api/discovery/api__v1.json, apis__<group>__<version>.json, aggregated_v2.json);
 * - storage prefixes: the lower-cased resource name unless k/k:pkg/kubeapiserver/
 *   default_storage_factory_builder.go overrides it (nodes → minions, services → services/specs,
 *   endpoints → services/endpoints); apiextensions' own resources carry their group
 *   (SimpleStorageFactory). Confirmed by k/k:test/integration/etcd/data.go (ExpectedEtcdPath);
 * - selectable fields: the field label conversion funcs (k/k:pkg/apis/core/v1/conversion.go,
 *   pkg/apis/events/v1/conversion.go, pkg/apis/certificates/v1/conversion.go); kinds without one
 *   (all of apps, for one) accept only metadata.name and metadata.namespace.
 */
import type { ResourceInfo, Subresource } from './types.js';

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
/** Namespaces have no deletecollection (api__v1.json). */
const NO_COLLECTION = ALL_VERBS.filter((v) => v !== 'deletecollection');
const CREATE_ONLY = ['create'];

/** Events expire an hour after they are written: kube-apiserver's --event-ttl default. */
const EVENT_TTL_SECONDS = 3600;

interface Row {
  shortNames?: string[];
  categories?: string[];
  verbs?: string[];
  namespaced?: boolean;
  prefix?: string;
  subresources?: Subresource[];
  fields?: string[];
  ttlSeconds?: number;
  virtual?: boolean;
  storageApiVersion?: string;
  singular?: string;
}

function row(apiVersion: string, kind: string, plural: string, opts: Row = {}): ResourceInfo {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const info: ResourceInfo = {
    group,
    version: slash < 0 ? apiVersion : apiVersion.slice(slash + 1),
    kind,
    listKind: `${kind}List`,
    plural,
    singular: opts.singular ?? kind.toLowerCase(),
    namespaced: opts.namespaced ?? true,
    shortNames: opts.shortNames ?? [],
    categories: opts.categories ?? [],
    verbs: opts.verbs ?? (opts.virtual ? CREATE_ONLY : ALL_VERBS),
    storagePrefix: opts.virtual ? '' : (opts.prefix ?? plural),
    subresources: opts.subresources ?? [],
    selectableFields: opts.fields ?? [],
  };
  if (opts.ttlSeconds !== undefined) info.ttlSeconds = opts.ttlSeconds;
  if (opts.virtual) info.virtual = true;
  if (opts.storageApiVersion) info.storageApiVersion = opts.storageApiVersion;
  return info;
}

const cluster = { namespaced: false };
const CORE_EVENT_FIELDS = [
  'involvedObject.kind',
  'involvedObject.namespace',
  'involvedObject.name',
  'involvedObject.uid',
  'involvedObject.apiVersion',
  'involvedObject.resourceVersion',
  'involvedObject.fieldPath',
  'reason',
  'reportingComponent',
  'source',
  'type',
];
/** events.k8s.io/v1 spells the same fields of the same stored object its own way. */
const EVENTS_V1_FIELDS = [
  'regarding.kind',
  'regarding.namespace',
  'regarding.name',
  'regarding.uid',
  'regarding.apiVersion',
  'regarding.resourceVersion',
  'regarding.fieldPath',
  'reason',
  'reportingController',
  'source',
  'type',
];

/** Group order as kube-apiserver lists /apis (api/discovery/apis.json); core first. */
export const BUILTIN_GROUP_ORDER = [
  '',
  'apps',
  'events.k8s.io',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'certificates.k8s.io',
  'policy',
  'rbac.authorization.k8s.io',
  'storage.k8s.io',
  'apiextensions.k8s.io',
  'scheduling.k8s.io',
  'coordination.k8s.io',
  'node.k8s.io',
  'discovery.k8s.io',
];

/** A fresh copy of the built-in table (callers may not share the arrays). */
export function builtinResources(): ResourceInfo[] {
  return [
    // core/v1 (api/discovery/api__v1.json)
    row('v1', 'ConfigMap', 'configmaps', { shortNames: ['cm'] }),
    row('v1', 'Endpoints', 'endpoints', {
      shortNames: ['ep'],
      prefix: 'services/endpoints',
      singular: 'endpoints',
    }),
    row('v1', 'Event', 'events', {
      shortNames: ['ev'],
      fields: CORE_EVENT_FIELDS,
      ttlSeconds: EVENT_TTL_SECONDS,
    }),
    row('v1', 'Namespace', 'namespaces', {
      ...cluster,
      shortNames: ['ns'],
      verbs: NO_COLLECTION,
      subresources: ['finalize', 'status'],
      fields: ['status.phase'],
    }),
    row('v1', 'Node', 'nodes', {
      ...cluster,
      shortNames: ['no'],
      prefix: 'minions',
      subresources: ['proxy', 'status'],
      fields: ['spec.unschedulable'],
    }),
    row('v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', {
      shortNames: ['pvc'],
      subresources: ['status'],
    }),
    row('v1', 'PersistentVolume', 'persistentvolumes', {
      ...cluster,
      shortNames: ['pv'],
      subresources: ['status'],
    }),
    row('v1', 'Pod', 'pods', {
      shortNames: ['po'],
      categories: ['all'],
      subresources: ['binding', 'eviction', 'log', 'status'],
      fields: [
        'spec.nodeName',
        'spec.restartPolicy',
        'spec.schedulerName',
        'spec.serviceAccountName',
        'spec.hostNetwork',
        'status.phase',
        'status.podIP',
        'status.nominatedNodeName',
      ],
    }),
    row('v1', 'Secret', 'secrets', { fields: ['type'] }),
    row('v1', 'ServiceAccount', 'serviceaccounts', { shortNames: ['sa'], subresources: ['token'] }),
    row('v1', 'Service', 'services', {
      shortNames: ['svc'],
      categories: ['all'],
      prefix: 'services/specs',
      subresources: ['status'],
      fields: ['spec.clusterIP', 'spec.type'],
    }),
    // apps/v1: no field label conversion func, so metadata only
    row('apps/v1', 'ControllerRevision', 'controllerrevisions'),
    row('apps/v1', 'DaemonSet', 'daemonsets', {
      shortNames: ['ds'],
      categories: ['all'],
      subresources: ['status'],
    }),
    ...(['Deployment', 'ReplicaSet', 'StatefulSet'] as const).map((kind) =>
      row('apps/v1', kind, `${kind.toLowerCase()}s`, {
        shortNames: [{ Deployment: 'deploy', ReplicaSet: 'rs', StatefulSet: 'sts' }[kind]],
        categories: ['all'],
        subresources: ['scale', 'status'],
      }),
    ),
    // events.k8s.io/v1 cohabits with core events: same prefix, stored as core v1 Events (data.go ExpectedGVK)
    row('events.k8s.io/v1', 'Event', 'events', {
      shortNames: ['ev'],
      fields: EVENTS_V1_FIELDS,
      ttlSeconds: EVENT_TTL_SECONDS,
      storageApiVersion: 'v1',
    }),
    // create-only reviews that kubectl and the kubelet post; nothing is stored
    row('authentication.k8s.io/v1', 'SelfSubjectReview', 'selfsubjectreviews', { ...cluster, virtual: true }),
    row('authentication.k8s.io/v1', 'TokenReview', 'tokenreviews', { ...cluster, virtual: true }),
    row('authorization.k8s.io/v1', 'LocalSubjectAccessReview', 'localsubjectaccessreviews', {
      virtual: true,
    }),
    row('authorization.k8s.io/v1', 'SelfSubjectAccessReview', 'selfsubjectaccessreviews', {
      ...cluster,
      virtual: true,
    }),
    row('authorization.k8s.io/v1', 'SelfSubjectRulesReview', 'selfsubjectrulesreviews', {
      ...cluster,
      virtual: true,
    }),
    row('authorization.k8s.io/v1', 'SubjectAccessReview', 'subjectaccessreviews', {
      ...cluster,
      virtual: true,
    }),
    // the kubelet's CSRs (bootstrap and rotation, reference §1.15)
    row('certificates.k8s.io/v1', 'CertificateSigningRequest', 'certificatesigningrequests', {
      ...cluster,
      shortNames: ['csr'],
      subresources: ['approval', 'status'],
      fields: ['spec.signerName'],
    }),
    row('policy/v1', 'PodDisruptionBudget', 'poddisruptionbudgets', {
      shortNames: ['pdb'],
      subresources: ['status'],
    }),
    row('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'clusterrolebindings', cluster),
    row('rbac.authorization.k8s.io/v1', 'ClusterRole', 'clusterroles', cluster),
    row('rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings'),
    row('rbac.authorization.k8s.io/v1', 'Role', 'roles'),
    row('storage.k8s.io/v1', 'CSIDriver', 'csidrivers', cluster),
    row('storage.k8s.io/v1', 'CSINode', 'csinodes', cluster),
    row('storage.k8s.io/v1', 'StorageClass', 'storageclasses', { ...cluster, shortNames: ['sc'] }),
    row('storage.k8s.io/v1', 'VolumeAttachment', 'volumeattachments', {
      ...cluster,
      subresources: ['status'],
    }),
    row('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'customresourcedefinitions', {
      ...cluster,
      shortNames: ['crd', 'crds'],
      categories: ['api-extensions'],
      prefix: 'apiextensions.k8s.io/customresourcedefinitions',
      subresources: ['status'],
    }),
    row('scheduling.k8s.io/v1', 'PriorityClass', 'priorityclasses', { ...cluster, shortNames: ['pc'] }),
    row('coordination.k8s.io/v1', 'Lease', 'leases'),
    row('node.k8s.io/v1', 'RuntimeClass', 'runtimeclasses', cluster),
    row('discovery.k8s.io/v1', 'EndpointSlice', 'endpointslices'),
  ];
}

/** What a subresource answers with and which verbs it takes, as discovery lists them. */
export interface SubresourceShape {
  group: string;
  version: string;
  kind: string;
  verbs: string[];
}

/** The shape of info's subresource (api__v1.json: pods/eviction is policy/v1 Eviction, …). */
export function subresourceShape(info: ResourceInfo, sub: Subresource): SubresourceShape {
  const same = { group: info.group, version: info.version };
  switch (sub) {
    case 'status':
    case 'approval':
      return { ...same, kind: info.kind, verbs: ['get', 'patch', 'update'] };
    case 'scale':
      return { group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] };
    case 'binding':
      return { ...same, kind: 'Binding', verbs: ['create'] };
    case 'eviction':
      return { group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] };
    case 'token':
      return { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest', verbs: ['create'] };
    case 'log':
      return { ...same, kind: info.kind, verbs: ['get'] };
    case 'finalize':
      return { ...same, kind: info.kind, verbs: ['update'] };
    case 'proxy':
      return {
        ...same,
        kind: `${info.kind}ProxyOptions`,
        verbs: ['create', 'delete', 'get', 'patch', 'update'],
      };
  }
}
