/**
 * The NodeRestriction admission plugin (k/k plugin/pkg/admission/noderestriction/admission.go): the
 * Node authorizer lets any node write nodes, pods, leases and CSINodes; this narrows every write to
 * the node's own objects once the object is known. Lookups go through the given functions so the
 * policy needs no storage.
 */
import { Errors, type ApiError } from '../status.js';

type Obj = Record<string, any>;

export interface AdmissionAttributes {
  operation: 'create' | 'update' | 'delete';
  group: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
  /** The new object (create, update). */
  object?: Obj;
  /** The stored object (update, delete). */
  oldObject?: Obj;
}

export interface AdmissionLookups {
  getPod(namespace: string, name: string): Promise<Obj | undefined>;
  getNode(name: string): Promise<Obj | undefined>;
}

const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
// kubelet/pkg/apis well_known_labels.go: labels a kubelet may set on its own Node.
const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
]);
const KUBELET_LABEL_NAMESPACES = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

/** Throws the Forbidden (or NotFound) the plugin would for a node's write; returns when admitted. */
export async function admitNodeWrite(
  nodeName: string,
  a: AdmissionAttributes,
  lookups: AdmissionLookups,
): Promise<void> {
  const no = (why: string): ApiError =>
    Errors.forbidden({ group: a.group, resource: a.resource }, a.name, why);
  switch (`${a.resource}.${a.group}`) {
    case 'pods.':
      if (a.subresource === 'status') {
        if (a.operation !== 'update') throw no(`unexpected operation "${opName(a.operation)}"`);
        if (a.oldObject?.spec?.nodeName !== nodeName)
          throw no(`node "${nodeName}" can only update pod status for pods with spec.nodeName set to itself`);
        if (!sameMap(a.oldObject?.metadata?.labels, a.object?.metadata?.labels))
          throw no(`node "${nodeName}" cannot update labels through pod status`);
        return;
      }
      if (a.subresource === 'eviction') {
        const pod = await lookups.getPod(a.namespace, a.name);
        if (!pod) throw Errors.notFound({ group: '', resource: 'pods' }, a.name);
        if (pod.spec?.nodeName !== nodeName)
          throw no(`node ${nodeName} can only evict pods with spec.nodeName set to itself`);
        return;
      }
      if (a.subresource)
        throw no(`unexpected pod subresource "${a.subresource}", only 'status' and 'eviction' are allowed`);
      if (a.operation === 'delete') {
        if (a.oldObject?.spec?.nodeName !== nodeName)
          throw no(`node "${nodeName}" can only delete pods with spec.nodeName set to itself`);
        return;
      }
      if (a.operation === 'create') return admitMirrorPod(nodeName, a.object ?? {}, no, lookups);
      throw no(
        `unexpected operation "${opName(a.operation)}", node "${nodeName}" can only create and delete mirror pods`,
      );
    case 'nodes.':
      return admitNode(nodeName, a, no);
    case 'persistentvolumeclaims.':
      if (a.subresource !== 'status') throw no('may only update PVC status');
      return;
    case 'serviceaccounts.':
      if (a.operation === 'create' && a.subresource === 'token') return admitToken(nodeName, a, no, lookups);
      return;
    case 'leases.coordination.k8s.io': {
      if (a.namespace !== 'kube-node-lease')
        throw no('can only access leases in the "kube-node-lease" system namespace');
      const name = a.operation === 'create' ? a.object?.metadata?.name : a.name;
      if (name !== nodeName) throw no('can only access node lease with the same name as the requesting node');
      return;
    }
    case 'csinodes.storage.k8s.io': {
      const name = a.operation === 'create' ? a.object?.metadata?.name : a.name;
      if (name !== nodeName) throw no('can only access CSINode with the same name as the requesting node');
      return;
    }
  }
}

function opName(op: string): string {
  return op.toUpperCase();
}

async function admitMirrorPod(
  nodeName: string,
  pod: Obj,
  no: (w: string) => ApiError,
  lookups: AdmissionLookups,
): Promise<void> {
  const meta = pod.metadata ?? {};
  if (!(MIRROR_ANNOTATION in (meta.annotations ?? {}))) {
    throw no(
      `pod does not have "${MIRROR_ANNOTATION}" annotation, node "${nodeName}" can only create mirror pods`,
    );
  }
  if (pod.spec?.nodeName !== nodeName)
    throw no(`node "${nodeName}" can only create pods with spec.nodeName set to itself`);
  const owners: Obj[] = meta.ownerReferences ?? [];
  if (owners.length > 1)
    throw no(`node "${nodeName}" can only create pods with a single owner reference set to itself`);
  if (owners.length === 0)
    throw no(`node "${nodeName}" can only create pods with an owner reference set to itself`);
  const owner = owners[0]!;
  if (owner.apiVersion !== 'v1' || owner.kind !== 'Node' || owner.name !== nodeName) {
    throw no(`node "${nodeName}" can only create pods with an owner reference set to itself`);
  }
  if (owner.controller !== true)
    throw no(`node "${nodeName}" can only create pods with a controller owner reference set to itself`);
  if (owner.blockOwnerDeletion === true)
    throw no(`node "${nodeName}" must not set blockOwnerDeletion on an owner reference`);
  const node = await lookups.getNode(nodeName);
  if (!node) throw Errors.notFound({ group: '', resource: 'nodes' }, nodeName);
  if (owner.uid !== node.metadata?.uid)
    throw no(`node ${nodeName} UID mismatch: expected ${owner.uid} got ${node.metadata?.uid}`);
  const spec = pod.spec ?? {};
  if (spec.serviceAccountName)
    throw no(`node "${nodeName}" can not create pods that reference a service account`);
  if (referencesKind(spec, 'secret'))
    throw no(`node "${nodeName}" can not create pods that reference secrets`);
  if (referencesKind(spec, 'configMap'))
    throw no(`node "${nodeName}" can not create pods that reference configmaps`);
  for (const v of spec.volumes ?? []) {
    if ((v.projected?.sources ?? []).some((s: Obj) => s.clusterTrustBundle))
      throw no(`node "${nodeName}" can not create pods that reference clustertrustbundles`);
  }
  if ((spec.volumes ?? []).some((v: Obj) => v.persistentVolumeClaim))
    throw no(`node "${nodeName}" can not create pods that reference persistentvolumeclaims`);
}

/** Whether a pod spec names a secret (kind 'secret') or config map (kind 'configMap') anywhere. */
export function referencedNames(spec: Obj, kind: 'secret' | 'configMap'): string[] {
  const names: string[] = [];
  const refKey = kind === 'secret' ? 'secretKeyRef' : 'configMapKeyRef';
  const fromKey = kind === 'secret' ? 'secretRef' : 'configMapRef';
  if (kind === 'secret') for (const s of spec.imagePullSecrets ?? []) if (s?.name) names.push(s.name);
  for (const c of [
    ...(spec.containers ?? []),
    ...(spec.initContainers ?? []),
    ...(spec.ephemeralContainers ?? []),
  ]) {
    for (const e of c.env ?? []) if (e.valueFrom?.[refKey]?.name) names.push(e.valueFrom[refKey].name);
    for (const e of c.envFrom ?? []) if (e[fromKey]?.name) names.push(e[fromKey].name);
  }
  for (const v of spec.volumes ?? []) {
    if (kind === 'secret' && v.secret?.secretName) names.push(v.secret.secretName);
    if (kind === 'configMap' && v.configMap?.name) names.push(v.configMap.name);
    for (const s of v.projected?.sources ?? []) if (s[kind]?.name) names.push(s[kind].name);
    // Volume plugins with a secretRef (cephfs, rbd, iscsi, flexVolume, csi, azureFile…).
    if (kind === 'secret') {
      for (const src of Object.values(v) as Obj[]) {
        if (src && typeof src === 'object') {
          if (src.secretRef?.name) names.push(src.secretRef.name);
          if (src.nodePublishSecretRef?.name) names.push(src.nodePublishSecretRef.name);
          if (typeof src.secretName === 'string' && !v.secret) names.push(src.secretName);
        }
      }
    }
  }
  return names;
}

function referencesKind(spec: Obj, kind: 'secret' | 'configMap'): boolean {
  return referencedNames(spec, kind).length > 0;
}

function admitNode(nodeName: string, a: AdmissionAttributes, no: (w: string) => ApiError): void {
  const requested = a.operation === 'create' ? (a.object?.metadata?.name ?? a.name) : a.name;
  if (requested !== nodeName) throw no(`node "${nodeName}" is not allowed to modify node "${requested}"`);
  if (a.operation === 'create') {
    if (a.object?.spec?.configSource)
      throw no(`node "${nodeName}" is not allowed to create pods with a non-nil configSource`);
    const bad = forbiddenLabels(modifiedLabels(a.object?.metadata?.labels, undefined));
    if (bad.length > 0)
      throw no(`node "${nodeName}" is not allowed to set the following labels: ${bad.join(', ')}`);
  }
  if (a.operation === 'update') {
    const spec = a.object?.spec ?? {};
    const old = a.oldObject?.spec ?? {};
    if (spec.configSource && JSON.stringify(spec.configSource) !== JSON.stringify(old.configSource)) {
      throw no(`node "${nodeName}" is not allowed to update configSource to a new non-nil configSource`);
    }
    if (JSON.stringify(spec.taints ?? []) !== JSON.stringify(old.taints ?? []))
      throw no(`node "${nodeName}" is not allowed to modify taints`);
    const bad = forbiddenLabels(modifiedLabels(a.object?.metadata?.labels, a.oldObject?.metadata?.labels));
    if (bad.length > 0) throw no(`is not allowed to modify labels: ${bad.join(', ')}`);
  }
}

function modifiedLabels(
  a: Record<string, string> | undefined,
  b: Record<string, string> | undefined,
): string[] {
  const out = new Set<string>();
  for (const [k, v] of Object.entries(a ?? {})) if (b?.[k] !== v) out.add(k);
  for (const [k, v] of Object.entries(b ?? {})) if (a?.[k] !== v) out.add(k);
  return [...out].sort();
}

function labelNamespace(key: string): string {
  const i = key.indexOf('/');
  return i < 0 ? '' : key.slice(0, i);
}

function forbiddenLabels(keys: string[]): string[] {
  return keys.filter((key) => {
    const ns = labelNamespace(key);
    if (ns === 'node-restriction.kubernetes.io' || ns.endsWith('.node-restriction.kubernetes.io'))
      return true;
    const isK8s =
      ns === 'kubernetes.io' || ns.endsWith('.kubernetes.io') || ns === 'k8s.io' || ns.endsWith('.k8s.io');
    if (!isK8s) return false;
    const kubelet =
      KUBELET_LABELS.has(key) || KUBELET_LABEL_NAMESPACES.some((n) => ns === n || ns.endsWith(`.${n}`));
    return !kubelet;
  });
}

async function admitToken(
  nodeName: string,
  a: AdmissionAttributes,
  no: (w: string) => ApiError,
  lookups: AdmissionLookups,
): Promise<void> {
  const ref = a.object?.spec?.boundObjectRef;
  if (!ref || ref.apiVersion !== 'v1' || ref.kind !== 'Pod' || !ref.name)
    throw no('node requested token not bound to a pod');
  if (!ref.uid) throw no('node requested token with a pod binding without a uid');
  const pod = await lookups.getPod(a.namespace, ref.name);
  if (!pod) throw Errors.notFound({ group: '', resource: 'pods' }, ref.name);
  if (ref.uid !== pod.metadata?.uid) {
    throw no(
      `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
    );
  }
  if (pod.spec?.nodeName !== nodeName)
    throw no('node requested token bound to a pod scheduled on a different node');
}

function sameMap(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  return modifiedLabels(a, b).length === 0;
}
