/**
 * Decode-time defaults of every built-in kind but Pod and Service: kube-apiserver applies these
 * to every object it decodes, from a request body or from etcd (reference §5.6). Sources, per
 * group: k/k:pkg/apis/core/v1/defaults.go, apps/v1/defaults.go, rbac/v1/defaults.go,
 * storage/v1/defaults.go, scheduling/v1/defaults.go, discovery/v1/defaults.go and
 * apiextensions-apiserver pkg/apis/apiextensions/v1/defaults.go.
 */
import { child, isObject, objectAt, objectsAt, setDefault } from '../json.js';
import type { JsonObject } from '../types.js';
import { defaultPodSpec } from './podspec.js';

type Defaulter = (object: JsonObject) => void;

/** A template's pod spec gets SetDefaults_PodSpec and the nested defaults, never SetDefaults_Pod. */
function defaultTemplate(spec: JsonObject): void {
  defaultPodSpec(objectAt(objectAt(spec, 'template'), 'spec'));
}

function defaultClaim(claim: JsonObject): void {
  setDefault(objectAt(claim, 'status'), 'phase', 'Pending');
  setDefault(objectAt(claim, 'spec'), 'volumeMode', 'Filesystem');
}

/** Defaulters by 'apiVersion/Kind'. */
export const KIND_DEFAULTS: Record<string, Defaulter> = {
  'v1/Namespace'(ns) {
    // SetDefaults_Namespace: the immutable name label (not for generateName, which has no name yet)
    const meta = objectAt(ns, 'metadata');
    if (typeof meta.name === 'string' && meta.name)
      objectAt(meta, 'labels')['kubernetes.io/metadata.name'] = meta.name;
    setDefault(objectAt(ns, 'status'), 'phase', 'Active');
  },
  'v1/Node'(node) {
    const status = child(node, 'status');
    if (status && isObject(status.capacity) && status.allocatable === undefined)
      status.allocatable = { ...status.capacity };
  },
  'v1/Secret'(secret) {
    setDefault(secret, 'type', 'Opaque');
    // stringData is write-only: conversion folds it into data (v1 Convert_v1_Secret_To_core_Secret)
    if (isObject(secret.stringData)) {
      const data = objectAt(secret, 'data');
      for (const [key, value] of Object.entries(secret.stringData))
        data[key] = Buffer.from(String(value)).toString('base64');
    }
    delete secret.stringData;
  },
  'v1/Endpoints'(endpoints) {
    for (const subset of objectsAt(endpoints, 'subsets')) {
      for (const port of objectsAt(subset, 'ports')) setDefault(port, 'protocol', 'TCP');
    }
  },
  'v1/PersistentVolume'(pv) {
    setDefault(objectAt(pv, 'status'), 'phase', 'Pending');
    const spec = objectAt(pv, 'spec');
    setDefault(spec, 'persistentVolumeReclaimPolicy', 'Retain');
    setDefault(spec, 'volumeMode', 'Filesystem');
    const hostPath = child(spec, 'hostPath');
    if (hostPath && hostPath.type === undefined) hostPath.type = '';
  },
  'v1/PersistentVolumeClaim': defaultClaim,
  'apps/v1/Deployment'(deployment) {
    const spec = objectAt(deployment, 'spec');
    setDefault(spec, 'replicas', 1);
    const strategy = objectAt(spec, 'strategy');
    setDefault(strategy, 'type', 'RollingUpdate');
    if (strategy.type === 'RollingUpdate') {
      const rolling = objectAt(strategy, 'rollingUpdate');
      setDefault(rolling, 'maxUnavailable', '25%');
      setDefault(rolling, 'maxSurge', '25%');
    }
    setDefault(spec, 'revisionHistoryLimit', 10);
    setDefault(spec, 'progressDeadlineSeconds', 600);
    defaultTemplate(spec);
  },
  'apps/v1/DaemonSet'(ds) {
    const spec = objectAt(ds, 'spec');
    const strategy = objectAt(spec, 'updateStrategy');
    setDefault(strategy, 'type', 'RollingUpdate');
    if (strategy.type === 'RollingUpdate') {
      const rolling = objectAt(strategy, 'rollingUpdate');
      setDefault(rolling, 'maxUnavailable', 1);
      setDefault(rolling, 'maxSurge', 0);
    }
    setDefault(spec, 'revisionHistoryLimit', 10);
    defaultTemplate(spec);
  },
  'apps/v1/StatefulSet'(sts) {
    const spec = objectAt(sts, 'spec');
    setDefault(spec, 'podManagementPolicy', 'OrderedReady');
    const strategy = objectAt(spec, 'updateStrategy');
    if (!strategy.type) {
      strategy.type = 'RollingUpdate';
      objectAt(strategy, 'rollingUpdate');
    }
    const rolling = child(strategy, 'rollingUpdate');
    if (strategy.type === 'RollingUpdate' && rolling) setDefault(rolling, 'partition', 0);
    // StatefulSetAutoDeletePVC is on by default since 1.27
    const retention = objectAt(spec, 'persistentVolumeClaimRetentionPolicy');
    setDefault(retention, 'whenDeleted', 'Retain');
    setDefault(retention, 'whenScaled', 'Retain');
    setDefault(spec, 'replicas', 1);
    setDefault(spec, 'revisionHistoryLimit', 10);
    defaultTemplate(spec);
    for (const claim of objectsAt(spec, 'volumeClaimTemplates')) defaultClaim(claim);
  },
  'apps/v1/ReplicaSet'(rs) {
    const spec = objectAt(rs, 'spec');
    setDefault(spec, 'replicas', 1);
    defaultTemplate(spec);
  },
  'rbac.authorization.k8s.io/v1/RoleBinding': defaultBinding,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': defaultBinding,
  'storage.k8s.io/v1/StorageClass'(sc) {
    setDefault(sc, 'reclaimPolicy', 'Delete');
    setDefault(sc, 'volumeBindingMode', 'Immediate');
  },
  'storage.k8s.io/v1/CSIDriver'(driver) {
    const spec = objectAt(driver, 'spec');
    setDefault(spec, 'attachRequired', true);
    setDefault(spec, 'podInfoOnMount', false);
    setDefault(spec, 'storageCapacity', false);
    setDefault(spec, 'fsGroupPolicy', 'ReadWriteOnceWithFSType');
    if (!Array.isArray(spec.volumeLifecycleModes) || spec.volumeLifecycleModes.length === 0) {
      spec.volumeLifecycleModes = ['Persistent'];
    }
    setDefault(spec, 'requiresRepublish', false);
    // SELinuxMountReadWriteOncePod is beta and on in 1.28–1.32
    setDefault(spec, 'seLinuxMount', false);
  },
  'scheduling.k8s.io/v1/PriorityClass'(pc) {
    setDefault(pc, 'preemptionPolicy', 'PreemptLowerPriority');
  },
  'discovery.k8s.io/v1/EndpointSlice'(slice) {
    for (const port of objectsAt(slice, 'ports')) {
      if (port.name === undefined) port.name = '';
      setDefault(port, 'protocol', 'TCP');
    }
  },
  'apiextensions.k8s.io/v1/CustomResourceDefinition'(crd) {
    const spec = objectAt(crd, 'spec');
    const names = objectAt(spec, 'names');
    if (typeof names.kind === 'string' && names.kind) {
      setDefault(names, 'singular', names.kind.toLowerCase());
      setDefault(names, 'listKind', `${names.kind}List`);
    }
    if (!isObject(spec.conversion)) spec.conversion = { strategy: 'None' };
    const service = child(child(child(spec, 'conversion'), 'webhook'), 'clientConfig');
    const ref = child(service, 'service');
    if (ref) setDefault(ref, 'port', 443);
  },
};

/** roleRef and subjects get their API group (SetDefaults_RoleBinding, SetDefaults_Subject). */
function defaultBinding(binding: JsonObject): void {
  setDefault(objectAt(binding, 'roleRef'), 'apiGroup', 'rbac.authorization.k8s.io');
  // ServiceAccount subjects keep the core group '', which JSON leaves out
  for (const subject of objectsAt(binding, 'subjects')) {
    if (!subject.apiGroup && (subject.kind === 'User' || subject.kind === 'Group')) {
      subject.apiGroup = 'rbac.authorization.k8s.io';
    }
  }
}
