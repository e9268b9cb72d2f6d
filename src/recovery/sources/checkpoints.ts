/**
 * A master's pod checkpoints as a source (the layout of src/checkpointer/store.ts): the manifests
 * in inactive-manifests/ and the files of their volumes in checkpoint-secrets/ and
 * checkpoint-configmaps/ under `<namespace>/<pod>/<object>/`. The checkpointer's sanitising is
 * undone where it can be: hostPaths into those dirs become Secret and ConfigMap volumes again, and
 * the objects are rebuilt from the files, so the writer treats the pods like any workload's template.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import YAML from 'yaml';
import { CHECKPOINT_CONTROLLER_ANNOTATION } from '../../checkpointer/pods.js';
import { ANNOTATIONS, HOST_PATHS } from '../../render/constants.js';
import { RecoveryIncompleteError, RecoverySourceUnreachableError } from '../errors.js';
import { byName, type KubeObject, type SourceSnapshot } from '../types.js';

/** Where the three checkpoint dirs sit relative to `--checkpoint-dir` (a master's /etc/kubernetes). */
const SUB = {
  inactive: HOST_PATHS.inactiveManifests.slice(HOST_PATHS.kubernetesDir.length + 1),
  secrets: HOST_PATHS.checkpointSecrets.slice(HOST_PATHS.kubernetesDir.length + 1),
  configMaps: HOST_PATHS.checkpointConfigMaps.slice(HOST_PATHS.kubernetesDir.length + 1),
};

/** The checkpointed pods under `dir` (a master's /etc/kubernetes, or a copy of it). */
export async function readCheckpoints(dir: string): Promise<SourceSnapshot> {
  const inactive = join(dir, SUB.inactive);
  const names = await readdir(inactive).catch((cause: NodeJS.ErrnoException) => {
    throw new RecoverySourceUnreachableError(
      `--checkpoint-dir ${dir}: ${SUB.inactive}/ cannot be read (${cause.code ?? cause.message})`,
      {
        hint: `give the dir holding ${SUB.inactive}/, ${SUB.secrets}/ and ${SUB.configMaps}/ (${HOST_PATHS.kubernetesDir} on a master)`,
        cause,
      },
    );
  });
  const pods: KubeObject[] = [];
  const secrets = new Map<string, KubeObject>();
  const configMaps = new Map<string, KubeObject>();
  for (const name of names.filter((n) => !n.startsWith('.') && /\.(json|ya?ml)$/.test(n)).sort()) {
    const path = join(inactive, name);
    let checkpoint: KubeObject;
    try {
      checkpoint = YAML.parse(await readFile(path, 'utf8')) as KubeObject;
    } catch (cause) {
      throw new RecoveryIncompleteError(
        `${path}: does not parse (${(cause as Error).message.split('\n')[0]})`,
        { cause },
      );
    }
    if (checkpoint?.kind !== 'Pod' || !checkpoint.metadata?.annotations?.[ANNOTATIONS.checkpointOf]) continue;
    pods.push(await restorePod(dir, checkpoint, secrets, configMaps));
  }
  return {
    description: `the checkpoints in ${dir}`,
    workloads: [],
    pods,
    secrets: byName([...secrets.values()]),
    configMaps: byName([...configMaps.values()]),
    objectCount: pods.length,
  };
}

async function restorePod(
  dir: string,
  checkpoint: KubeObject,
  secrets: Map<string, KubeObject>,
  configMaps: Map<string, KubeObject>,
): Promise<KubeObject> {
  const { name, namespace = 'default', labels } = checkpoint.metadata;
  const annotations = { ...checkpoint.metadata.annotations };
  const controller = annotations[CHECKPOINT_CONTROLLER_ANNOTATION]?.split('/');
  delete annotations[ANNOTATIONS.checkpointOf];
  delete annotations[CHECKPOINT_CONTROLLER_ANNOTATION];
  const spec = structuredClone(checkpoint.spec ?? {}) as { volumes?: any[] };
  const roots = [
    { prefix: `${HOST_PATHS.checkpointSecrets}/${namespace}/${name}/`, sub: SUB.secrets, kind: 'Secret' },
    {
      prefix: `${HOST_PATHS.checkpointConfigMaps}/${namespace}/${name}/`,
      sub: SUB.configMaps,
      kind: 'ConfigMap',
    },
  ] as const;
  for (const volume of spec.volumes ?? []) {
    const path: string | undefined = volume.hostPath?.path;
    const root = path && roots.find((r) => path.startsWith(r.prefix));
    if (!root) continue;
    const object = path.slice(root.prefix.length);
    if (object.startsWith('_') || object.includes('/')) {
      throw new RecoveryIncompleteError(
        `checkpoint of ${namespace}/${name}: volume ${volume.name} holds selected items or a projected volume, which recover cannot turn back into an object`,
        { hint: 'recover from --etcd-servers, --etcd-backup-file or --kubeconfig instead' },
      );
    }
    const files = await readFiles(join(dir, root.sub, namespace, name, object));
    delete volume.hostPath;
    if (root.kind === 'Secret') {
      volume.secret = { secretName: object };
      secrets.set(object, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: object, namespace },
        type: 'Opaque',
        data: Object.fromEntries([...files].map(([k, v]) => [k, v.toString('base64')])),
      });
    } else {
      volume.configMap = { name: object };
      configMaps.set(object, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: object, namespace },
        data: Object.fromEntries([...files].map(([k, v]) => [k, v.toString('utf8')])),
      });
    }
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      // The workload's name where the checkpoint recorded it (a DaemonSet pod's name has a suffix).
      name: controller?.[1] ?? name,
      namespace,
      ...(labels ? { labels } : {}),
      ...(Object.keys(annotations).length ? { annotations } : {}),
    },
    spec,
  };
}

async function readFiles(dir: string): Promise<Map<string, Buffer>> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((cause: NodeJS.ErrnoException) => {
    throw new RecoveryIncompleteError(
      `checkpoint files ${dir} cannot be read (${cause.code ?? cause.message})`,
      {
        hint: 'the checkpoint is incomplete; recover from etcd or a backup instead',
        cause,
      },
    );
  });
  const files = new Map<string, Buffer>();
  for (const e of entries)
    if (e.isFile() && !e.name.startsWith('.')) files.set(e.name, await readFile(join(dir, e.name)));
  return files;
}
