/**
 * Which files of the kubelet's static-pod dir bootkube wrote: its bootstrap control-plane pods, the
 * checkpointer's active checkpoints (they carry the `checkpoint-of` annotation) and temp files of
 * its interrupted atomic writes. Every other static pod (etcd's, your own) is not bootkube's.
 */
import { parseAllDocuments } from 'yaml';
import { TEMP_MARKER } from '../fs/atomic-file.js';
import { ANNOTATIONS, NAMESPACE } from '../render/constants.js';

/**
 * The pods of templates/bootstrap-manifests/ (kube-system). A recovered asset dir (`recover`) names
 * its bootstrap pods the same, so they are recognised by pod name, whatever the file is called.
 */
export const BOOTSTRAP_POD_NAMES: readonly string[] = [
  'bootstrap-kube-apiserver',
  'bootstrap-kube-controller-manager',
  'bootstrap-kube-scheduler',
];

/** Bigger than any pod manifest: a file this large is not read, and so never bootkube's. */
const MAX_MANIFEST_BYTES = 1024 * 1024;

/** Why bootkube owns the static-pod file `name` with `text`, or undefined when it does not. */
export function classifyStaticPodFile(name: string, text: string | undefined): string | undefined {
  if (name.startsWith('.') && name.includes(TEMP_MARKER)) return 'temp file of an interrupted bootkube write';
  if (name.startsWith('.') || text === undefined || text.length > MAX_MANIFEST_BYTES) return undefined;
  const pod = singlePod(text);
  if (!pod) return undefined;
  const podName = pod.metadata?.name;
  const namespace = pod.metadata?.namespace ?? 'default';
  // Any value counts, as for the checkpointer itself (src/checkpointer/pods.ts): the key is the mark.
  const checkpointOf = pod.metadata?.annotations?.[ANNOTATIONS.checkpointOf];
  if (typeof checkpointOf === 'string') return `pod checkpoint of ${String(namespace)}/${checkpointOf}`;
  if (typeof podName === 'string' && namespace === NAMESPACE && BOOTSTRAP_POD_NAMES.includes(podName)) {
    return `bootstrap pod ${NAMESPACE}/${podName}`;
  }
  return undefined;
}

interface PodLike {
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown; annotations?: Record<string, unknown> };
}

/** The one Pod a static-pod file holds (YAML or JSON), or undefined for anything else. */
function singlePod(text: string): PodLike | undefined {
  try {
    const docs = parseAllDocuments(text);
    if (!Array.isArray(docs) || docs.length !== 1 || docs[0]!.errors.length > 0) return undefined;
    const value = docs[0]!.toJS() as PodLike | null;
    return value && typeof value === 'object' && value.kind === 'Pod' ? value : undefined;
  } catch {
    return undefined;
  }
}
