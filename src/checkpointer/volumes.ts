/**
 * The volumes a static pod cannot have, turned into hostPaths to files the checkpointer writes
 * (reference §5.5, DESIGN.md §6): Secret volumes → checkpoint-secrets/<ns>/<pod>/<secret>,
 * ConfigMap volumes → checkpoint-configmaps/<ns>/<pod>/<configmap>, projected volumes (the
 * service-account token, its CA and namespace) → checkpoint-secrets/<ns>/<pod>/_volume-<volume>.
 * A volume with `items` gets its own `_volume-` dir laid out as the items say. `_` cannot start an
 * object name, so those dirs never collide with a Secret's.
 */
import type { V1Pod, V1ServiceAccountTokenProjection, V1Volume } from '@kubernetes/client-node';
import { TEMP_MARKER } from '../fs/atomic-file.js';
import { HOST_PATHS } from '../render/constants.js';
import { UncheckpointablePodError } from './errors.js';
import { podId } from './pods.js';
import type { ObjectData } from './types.js';

export type CheckpointRoot = 'secrets' | 'configmaps';

/** One directory of checkpointed files: `<root>/<namespace>/<pod>/<name>/<file>`. */
export interface CheckpointDir {
  root: CheckpointRoot;
  name: string;
  /** Relative file path (may contain `/`, never `..`) → content. */
  files: Map<string, Buffer>;
}

/** What a pod references and the checkpointer must fetch before it can write the checkpoint. */
export interface PodReferences {
  secrets: string[];
  configMaps: string[];
  tokens: Array<{ key: string; projection: V1ServiceAccountTokenProjection }>;
}

/** The fetched objects, by name; a missing entry or `undefined` data means the object does not exist. */
export interface ResolvedObjects {
  secrets: Map<string, ObjectData>;
  configMaps: Map<string, ObjectData>;
  /** By token key (`<volume>/<path>`). */
  tokens: Map<string, string>;
}

const ROOT_PATHS: Record<CheckpointRoot, string> = {
  secrets: HOST_PATHS.checkpointSecrets,
  configmaps: HOST_PATHS.checkpointConfigMaps,
};

/** The host path (as the kubelet sees it, without any root prefix) of a checkpoint dir. */
export function checkpointDirHostPath(
  root: CheckpointRoot,
  namespace: string,
  pod: string,
  name: string,
): string {
  return `${ROOT_PATHS[root]}/${namespace}/${pod}/${name}`;
}

export function tokenKey(volume: string, path: string): string {
  return `${volume}/${path}`;
}

/** Everything the pod's volumes and env refer to (secrets and configmaps deduplicated). */
export function referencesOf(pod: V1Pod): PodReferences {
  const secrets = new Set<string>();
  const configMaps = new Set<string>();
  const tokens: PodReferences['tokens'] = [];
  for (const v of pod.spec?.volumes ?? []) {
    if (v.secret?.secretName) secrets.add(v.secret.secretName);
    if (v.configMap?.name) configMaps.add(v.configMap.name);
    for (const s of v.projected?.sources ?? []) {
      if (s.secret?.name) secrets.add(s.secret.name);
      if (s.configMap?.name) configMaps.add(s.configMap.name);
      if (s.serviceAccountToken)
        tokens.push({ key: tokenKey(v.name, s.serviceAccountToken.path), projection: s.serviceAccountToken });
    }
  }
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    for (const e of c.env ?? []) {
      if (e.valueFrom?.secretKeyRef?.name) secrets.add(e.valueFrom.secretKeyRef.name);
      if (e.valueFrom?.configMapKeyRef?.name) configMaps.add(e.valueFrom.configMapKeyRef.name);
    }
    for (const e of c.envFrom ?? []) {
      if (e.secretRef?.name) secrets.add(e.secretRef.name);
      if (e.configMapRef?.name) configMaps.add(e.configMapRef.name);
    }
  }
  return { secrets: [...secrets].sort(), configMaps: [...configMaps].sort(), tokens };
}

/** Replaces the pod's Secret, ConfigMap and projected volumes by hostPaths; returns the new volumes and the dirs to write. */
export function checkpointVolumes(
  pod: V1Pod,
  resolved: ResolvedObjects,
): { volumes: V1Volume[]; dirs: CheckpointDir[] } {
  const ns = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  const dirs = new Map<string, CheckpointDir>();
  const addDir = (root: CheckpointRoot, dirName: string, files: Map<string, Buffer>): string => {
    dirs.set(`${root}/${dirName}`, { root, name: dirName, files });
    return checkpointDirHostPath(root, ns, name, dirName);
  };
  const volumes = (pod.spec?.volumes ?? []).map((v): V1Volume => {
    const hostPath = (path: string): V1Volume => ({ name: v.name, hostPath: { path, type: 'Directory' } });
    if (v.secret) {
      const data = lookup(pod, 'secret', v.secret.secretName ?? '', resolved.secrets, v.secret.optional);
      return hostPath(
        v.secret.items?.length
          ? addDir('secrets', `_volume-${v.name}`, project(pod, data, v.secret.items, v.secret.optional))
          : addDir('secrets', v.secret.secretName ?? '', allKeys(pod, data)),
      );
    }
    if (v.configMap) {
      const data = lookup(
        pod,
        'configmap',
        v.configMap.name ?? '',
        resolved.configMaps,
        v.configMap.optional,
      );
      return hostPath(
        v.configMap.items?.length
          ? addDir(
              'configmaps',
              `_volume-${v.name}`,
              project(pod, data, v.configMap.items, v.configMap.optional),
            )
          : addDir('configmaps', v.configMap.name ?? '', allKeys(pod, data)),
      );
    }
    if (v.projected)
      return hostPath(addDir('secrets', `_volume-${v.name}`, projectedFiles(pod, v, resolved)));
    if (v.persistentVolumeClaim || v.ephemeral) {
      throw new UncheckpointablePodError(
        `pod ${podId(pod)}: volume ${v.name} needs a PersistentVolumeClaim, which a static pod cannot use`,
        {
          hint: 'remove the checkpoint annotation from this pod, or use a hostPath',
        },
      );
    }
    return v;
  });
  return { volumes, dirs: [...dirs.values()] };
}

function lookup(
  pod: V1Pod,
  kind: string,
  name: string,
  objects: Map<string, ObjectData>,
  optional?: boolean,
): ObjectData {
  const data = objects.get(name);
  if (data === undefined && !optional) {
    throw new UncheckpointablePodError(`pod ${podId(pod)}: ${kind} ${name} does not exist`, {
      hint: 'the checkpoint is kept as it was until it exists again',
    });
  }
  return data;
}

function allKeys(pod: V1Pod, data: ObjectData): Map<string, Buffer> {
  const entries = Object.entries(data ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  return new Map(entries.map(([key, value]) => [safePath(pod, key), value]));
}

function project(
  pod: V1Pod,
  data: ObjectData,
  items: Array<{ key: string; path: string }>,
  optional?: boolean,
): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const item of items) {
    const value = data?.[item.key];
    if (value === undefined) {
      if (optional || data === undefined) continue;
      throw new UncheckpointablePodError(`pod ${podId(pod)}: key ${item.key} is missing`);
    }
    files.set(safePath(pod, item.path), value);
  }
  return files;
}

function projectedFiles(pod: V1Pod, v: V1Volume, resolved: ResolvedObjects): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const s of v.projected?.sources ?? []) {
    if (s.secret) {
      const data = lookup(pod, 'secret', s.secret.name ?? '', resolved.secrets, s.secret.optional);
      const part = s.secret.items?.length
        ? project(pod, data, s.secret.items, s.secret.optional)
        : allKeys(pod, data);
      for (const [path, value] of part) files.set(safePath(pod, path), value);
    } else if (s.configMap) {
      const data = lookup(
        pod,
        'configmap',
        s.configMap.name ?? '',
        resolved.configMaps,
        s.configMap.optional,
      );
      const part = s.configMap.items?.length
        ? project(pod, data, s.configMap.items, s.configMap.optional)
        : allKeys(pod, data);
      for (const [path, value] of part) files.set(safePath(pod, path), value);
    } else if (s.serviceAccountToken) {
      const token = resolved.tokens.get(tokenKey(v.name, s.serviceAccountToken.path));
      if (token === undefined)
        throw new UncheckpointablePodError(`pod ${podId(pod)}: no token for volume ${v.name}`);
      files.set(safePath(pod, s.serviceAccountToken.path), Buffer.from(token));
    } else if (s.downwardAPI) {
      for (const item of s.downwardAPI.items ?? []) {
        if (!item.fieldRef)
          throw new UncheckpointablePodError(
            `pod ${podId(pod)}: volume ${v.name}: only fieldRef items can be checkpointed`,
          );
        files.set(safePath(pod, item.path), Buffer.from(fieldValue(pod, item.fieldRef.fieldPath)));
      }
    } else {
      throw new UncheckpointablePodError(
        `pod ${podId(pod)}: volume ${v.name} has a projected source a static pod cannot have`,
      );
    }
  }
  return files;
}

/** The downward API's value of a field, as the kubelet would write it into a file. */
export function fieldValue(pod: V1Pod, fieldPath: string): string {
  const meta = pod.metadata ?? {};
  const map = (m: Record<string, string> | undefined) =>
    Object.entries(m ?? {})
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, val]) => `${k}=${JSON.stringify(val)}`)
      .join('\n');
  const keyed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (keyed) return (keyed[1] === 'labels' ? meta.labels : meta.annotations)?.[keyed[2]!] ?? '';
  const values: Record<string, string | undefined> = {
    'metadata.name': meta.name,
    'metadata.namespace': meta.namespace,
    'metadata.uid': meta.uid,
    'metadata.labels': map(meta.labels),
    'metadata.annotations': map(meta.annotations),
    'spec.nodeName': pod.spec?.nodeName,
    'spec.serviceAccountName': pod.spec?.serviceAccountName,
    'status.hostIP': pod.status?.hostIP,
    'status.podIP': pod.status?.podIP,
  };
  if (!(fieldPath in values))
    throw new UncheckpointablePodError(`pod ${podId(pod)}: field ${fieldPath} cannot be checkpointed`);
  return values[fieldPath] ?? '';
}

function safePath(pod: V1Pod, path: string): string {
  // TEMP_MARKER names are what the store cleans up as leftovers of interrupted writes.
  if (
    !path ||
    path.startsWith('/') ||
    path.includes(TEMP_MARKER) ||
    path.split('/').some((p) => p === '..' || p === '.' || p === '')
  ) {
    throw new UncheckpointablePodError(
      `pod ${podId(pod)}: file path ${JSON.stringify(path)} is not allowed in a checkpoint`,
    );
  }
  return path;
}
