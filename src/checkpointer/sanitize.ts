/**
 * From a parent pod to its checkpoint: a static pod the kubelet runs without an API server
 * (reference §5.5 with DESIGN.md §6). Kept as v0.14 did: name, namespace, labels, the spec.
 * Changed: annotations are only `checkpoint-of` (and the parent's controller); ownerReferences
 * point at the parent pod; no service account, affinity, image pull secrets, ephemeral
 * containers or status; Secret/ConfigMap/projected volumes become hostPaths (volumes.ts); env
 * values from Secrets and ConfigMaps are written in (a mirror pod may reference neither); every
 * container gets `imagePullPolicy: IfNotPresent` (a reboot without a registry must still start
 * it). The lockexec wrapper, its init container and the lock-dir mount are untouched, so a
 * checkpointed and a self-hosted apiserver take turns on the hand-off lock (bootkube#986).
 */
import type { V1Container, V1EnvVar, V1Pod } from '@kubernetes/client-node';
import { ANNOTATIONS } from '../render/constants.js';
import { UncheckpointablePodError } from './errors.js';
import {
  CHECKPOINT_CONTROLLER_ANNOTATION,
  controllerOf,
  formatController,
  isCheckpoint,
  podId,
} from './pods.js';
import { checkpointVolumes, type CheckpointDir, type ResolvedObjects } from './volumes.js';

export interface Checkpoint {
  /** The static pod, ready to be serialised. */
  manifest: V1Pod;
  /** The files its hostPath volumes point at. */
  dirs: CheckpointDir[];
}

const NO_OBJECTS: ResolvedObjects = { secrets: new Map(), configMaps: new Map(), tokens: new Map() };

/** The checkpoint of `pod`; a pod that already is a checkpoint comes back unchanged. Throws UncheckpointablePodError. */
export function sanitizeCheckpointPod(pod: V1Pod, resolved: ResolvedObjects = NO_OBJECTS): Checkpoint {
  if (isCheckpoint(pod)) return { manifest: pod, dirs: [] };
  const meta = pod.metadata ?? {};
  const spec = structuredClone(pod.spec ?? { containers: [] });
  if (spec.resourceClaims?.length) {
    throw new UncheckpointablePodError(`pod ${podId(pod)}: resource claims cannot be used by a static pod`);
  }
  const { volumes, dirs } = checkpointVolumes(pod, resolved);
  const controller = controllerOf(pod);
  delete spec.serviceAccountName;
  delete spec.serviceAccount;
  delete spec.affinity;
  delete spec.imagePullSecrets;
  delete spec.ephemeralContainers;
  if (spec.volumes) spec.volumes = volumes;
  spec.containers = spec.containers.map((c) => checkpointContainer(pod, c, resolved));
  if (spec.initContainers)
    spec.initContainers = spec.initContainers.map((c) => checkpointContainer(pod, c, resolved));

  const manifest: V1Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: meta.name,
      namespace: meta.namespace,
      ...(meta.labels ? { labels: { ...meta.labels } } : {}),
      annotations: {
        [ANNOTATIONS.checkpointOf]: meta.name ?? '',
        ...(controller ? { [CHECKPOINT_CONTROLLER_ANNOTATION]: formatController(controller) } : {}),
      },
      // The parent, as v0.14 did: nothing adopts a pod owned by another pod. (The kubelet gives the
      // mirror pod the Node as its owner in any case.)
      ownerReferences: [
        {
          apiVersion: pod.apiVersion ?? 'v1',
          kind: pod.kind ?? 'Pod',
          name: meta.name ?? '',
          uid: meta.uid ?? '',
          controller: true,
        },
      ],
    },
    spec,
  };
  return { manifest, dirs };
}

function checkpointContainer(pod: V1Pod, c: V1Container, resolved: ResolvedObjects): V1Container {
  const out: V1Container = { ...c, imagePullPolicy: 'IfNotPresent' };
  if (c.env || c.envFrom) {
    const env = inlineEnv(pod, c, resolved);
    delete out.envFrom;
    if (env.length) out.env = env;
    else delete out.env;
  }
  return out;
}

/**
 * The container's environment with Secret and ConfigMap values written in: envFrom first, then
 * env, a later name replacing an earlier one (the kubelet's precedence). Other valueFroms
 * (fieldRef, resourceFieldRef) stay: a static pod has them.
 */
function inlineEnv(pod: V1Pod, c: V1Container, resolved: ResolvedObjects): V1EnvVar[] {
  const out = new Map<string, V1EnvVar>();
  const objectOf = (kind: 'secret' | 'configmap', name: string, optional: boolean | undefined) => {
    const data = (kind === 'secret' ? resolved.secrets : resolved.configMaps).get(name);
    if (data === undefined && !optional) {
      throw new UncheckpointablePodError(
        `pod ${podId(pod)}: container ${c.name} needs ${kind} ${name}, which does not exist`,
      );
    }
    return data;
  };
  for (const from of c.envFrom ?? []) {
    const ref = from.secretRef ?? from.configMapRef;
    if (!ref?.name) continue;
    const data = objectOf(from.secretRef ? 'secret' : 'configmap', ref.name, ref.optional);
    for (const [key, value] of Object.entries(data ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const name = `${from.prefix ?? ''}${key}`;
      out.delete(name);
      out.set(name, { name, value: value.toString('utf8') });
    }
  }
  for (const e of c.env ?? []) {
    const keyRef = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
    out.delete(e.name);
    if (!keyRef) {
      out.set(e.name, e);
      continue;
    }
    const data = objectOf(
      e.valueFrom?.secretKeyRef ? 'secret' : 'configmap',
      keyRef.name ?? '',
      keyRef.optional,
    );
    const value = data?.[keyRef.key];
    if (value === undefined) {
      if (keyRef.optional) continue;
      throw new UncheckpointablePodError(
        `pod ${podId(pod)}: container ${c.name}: key ${keyRef.key} of ${keyRef.name} is missing`,
      );
    }
    out.set(e.name, { name: e.name, value: value.toString('utf8') });
  }
  return [...out.values()];
}

/** The bytes of a manifest on disk: JSON with keys sorted, so equal pods give equal bytes whichever source they came from. */
export function manifestBytes(manifest: V1Pod): string {
  return `${JSON.stringify(sortKeys(manifest))}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
