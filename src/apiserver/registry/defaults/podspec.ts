/**
 * Pod spec defaults as kube-apiserver applies them on decode (k/k:pkg/apis/core/v1/defaults.go,
 * the SetObjectDefaults_Pod walk of zz_generated.defaults.go). defaultPodSpec runs for pods and
 * pod templates alike; defaultPodOnly is SetDefaults_Pod, which templates never get.
 *
 * Go zero values matter: a pointer field is defaulted when nil (absent here), a plain int when 0,
 * a string when ''. Exotic volume sources (RBD, iSCSI, ScaleIO, AzureDisk) are left as sent.
 */
import { child, isObject, objectAt, objectsAt, setDefault } from '../json.js';
import type { JsonObject } from '../types.js';

/** v1.DefaultTerminationGracePeriodSeconds, v1.TerminationMessagePathDefault, volume modes 0644. */
const TERMINATION_GRACE_SECONDS = 30;
const TERMINATION_MESSAGE_PATH = '/dev/termination-log';
const DEFAULT_MODE = 0o644;
const TOKEN_EXPIRATION_SECONDS = 3600;

/** SetDefaults_PodSpec plus everything the generated walk defaults inside a pod spec. */
export function defaultPodSpec(spec: JsonObject): void {
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'restartPolicy', 'Always');
  if (!isObject(spec.securityContext)) spec.securityContext = {};
  setDefault(spec, 'terminationGracePeriodSeconds', TERMINATION_GRACE_SECONDS);
  setDefault(spec, 'schedulerName', 'default-scheduler');
  // v1's deprecated serviceAccount aliases serviceAccountName, which wins (v1 PodSpec conversion, both ways)
  if (!spec.serviceAccountName && spec.serviceAccount) spec.serviceAccountName = spec.serviceAccount;
  if (spec.serviceAccountName) spec.serviceAccount = spec.serviceAccountName;
  for (const volume of objectsAt(spec, 'volumes')) defaultVolume(volume);
  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
    for (const container of objectsAt(spec, list)) defaultContainer(container);
  }
}

/** SetDefaults_Pod: requests from limits, enableServiceLinks, host ports under hostNetwork. */
export function defaultPodOnly(spec: JsonObject): void {
  for (const list of ['initContainers', 'containers']) {
    for (const container of objectsAt(spec, list)) {
      const resources = child(container, 'resources');
      const limits = child(resources, 'limits');
      if (!resources || !limits) continue;
      const requests = objectAt(resources, 'requests');
      for (const [name, value] of Object.entries(limits)) if (!(name in requests)) requests[name] = value;
    }
  }
  setDefault(spec, 'enableServiceLinks', true);
  if (spec.hostNetwork === true) {
    for (const list of ['initContainers', 'containers']) {
      for (const container of objectsAt(spec, list)) {
        for (const port of objectsAt(container, 'ports')) {
          if (!port.hostPort) port.hostPort = port.containerPort;
        }
      }
    }
  }
}

/** SetDefaults_Container, then ports, env field refs, resources, probes and lifecycle hooks. */
function defaultContainer(container: JsonObject): void {
  setDefault(container, 'imagePullPolicy', pullPolicyFor(container.image));
  setDefault(container, 'terminationMessagePath', TERMINATION_MESSAGE_PATH);
  setDefault(container, 'terminationMessagePolicy', 'File');
  for (const port of objectsAt(container, 'ports')) setDefault(port, 'protocol', 'TCP');
  for (const env of objectsAt(container, 'env')) defaultFieldRef(child(child(env, 'valueFrom'), 'fieldRef'));
  // ResourceRequirements is a struct: Go's JSON always writes it, empty or not
  if (!isObject(container.resources)) container.resources = {};
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'])
    defaultProbe(child(container, probe));
  const lifecycle = child(container, 'lifecycle');
  for (const hook of ['postStart', 'preStop']) defaultHttpGet(child(child(lifecycle, hook), 'httpGet'));
}

/**
 * Always for ':latest' or no tag at all, else IfNotPresent (SetDefaults_Container via
 * parsers.ParseImageName: a digest without a tag has no tag, and so IfNotPresent).
 */
export function pullPolicyFor(image: unknown): string {
  if (typeof image !== 'string' || image === '') return 'IfNotPresent';
  const at = image.indexOf('@');
  const name = at < 0 ? image : image.slice(0, at);
  const lastSegment = name.slice(name.lastIndexOf('/') + 1);
  const colon = lastSegment.indexOf(':');
  const tag = colon < 0 ? (at < 0 ? 'latest' : '') : lastSegment.slice(colon + 1);
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultProbe(probe: JsonObject | undefined): void {
  if (!probe) return;
  // plain int32 fields: 0 means unset
  if (!probe.timeoutSeconds) probe.timeoutSeconds = 1;
  if (!probe.periodSeconds) probe.periodSeconds = 10;
  if (!probe.successThreshold) probe.successThreshold = 1;
  if (!probe.failureThreshold) probe.failureThreshold = 3;
  defaultHttpGet(child(probe, 'httpGet'));
  const grpc = child(probe, 'grpc');
  if (grpc && grpc.service === undefined) grpc.service = '';
}

function defaultHttpGet(action: JsonObject | undefined): void {
  if (!action) return;
  setDefault(action, 'path', '/');
  setDefault(action, 'scheme', 'HTTP');
}

function defaultFieldRef(fieldRef: JsonObject | undefined): void {
  if (fieldRef) setDefault(fieldRef, 'apiVersion', 'v1');
}

const VOLUME_SOURCES = [
  'hostPath',
  'emptyDir',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
  'secret',
  'nfs',
  'iscsi',
  'glusterfs',
  'persistentVolumeClaim',
  'rbd',
  'flexVolume',
  'cinder',
  'cephfs',
  'flocker',
  'downwardAPI',
  'fc',
  'azureFile',
  'configMap',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'projected',
  'portworxVolume',
  'scaleIO',
  'storageos',
  'csi',
  'ephemeral',
  'image',
];

/** SetDefaults_Volume (emptyDir when no source is set) and the per-source defaults. */
function defaultVolume(volume: JsonObject): void {
  if (!VOLUME_SOURCES.some((source) => volume[source] !== undefined && volume[source] !== null)) {
    volume.emptyDir = {};
  }
  const hostPath = child(volume, 'hostPath');
  if (hostPath && hostPath.type === undefined) hostPath.type = '';
  for (const source of ['secret', 'configMap', 'downwardAPI', 'projected']) {
    const s = child(volume, source);
    if (s) setDefault(s, 'defaultMode', DEFAULT_MODE);
  }
  for (const item of objectsAt(child(volume, 'downwardAPI'), 'items'))
    defaultFieldRef(child(item, 'fieldRef'));
  for (const source of objectsAt(child(volume, 'projected'), 'sources')) {
    for (const item of objectsAt(child(source, 'downwardAPI'), 'items'))
      defaultFieldRef(child(item, 'fieldRef'));
    const token = child(source, 'serviceAccountToken');
    if (token) setDefault(token, 'expirationSeconds', TOKEN_EXPIRATION_SECONDS);
  }
  const claimSpec = child(child(child(volume, 'ephemeral'), 'volumeClaimTemplate'), 'spec');
  if (claimSpec) setDefault(claimSpec, 'volumeMode', 'Filesystem');
}
