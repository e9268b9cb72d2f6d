/**
 * The Secrets of a running self-hosted control plane (kube-system, the names render gives them) and
 * the certificates in them, read as the asset-dir code reads manifests/ Secrets: each Secret is an
 * embedding file (src/certs/embedded.ts), so a data key and a kubeconfig nested in one are found
 * and replaced exactly as they are in an asset dir.
 */
import { NAMESPACE, SECRET_NAMES } from '../render/constants.js';
import { expectOk, type Cluster } from '../status/connect.js';
import { ClusterApiError } from '../status/errors.js';
import { certificateName } from './asset-pki.js';
import { parseEmbeddingFile, type EmbeddedCopy, type EmbeddingFile } from './embedded.js';

export interface LiveSecret {
  name: string;
  /** The Secret as the API served it; undefined when it does not exist. */
  object?: { metadata: { name: string; resourceVersion?: string }; data?: Record<string, string> } & Record<
    string,
    unknown
  >;
  /** Its certificates and keys as embedded copies (file = `secret kube-system/NAME`). */
  embedding?: EmbeddingFile;
}

/** `secret kube-system/kube-apiserver`: where a copy lives, as reports name it. */
export const secretLocation = (name: string) => `secret ${NAMESPACE}/${name}`;

export const secretPath = (name: string) =>
  `/api/v1/namespaces/${NAMESPACE}/secrets/${encodeURIComponent(name)}`;

/** The control plane's Secrets, in render's order; a Secret the API does not have comes back without an object. */
export async function readControlPlaneSecrets(cluster: Cluster): Promise<LiveSecret[]> {
  const out: LiveSecret[] = [];
  for (const name of Object.values(SECRET_NAMES)) {
    const answer = await cluster.client.request('GET', secretPath(name));
    if (answer.status === 404) {
      out.push({ name });
      continue;
    }
    expectOk(cluster, answer, `read Secret ${NAMESPACE}/${name}`);
    const object = answer.body as NonNullable<LiveSecret['object']>;
    out.push({ name, object, embedding: embeddingOf(name, object) });
  }
  return out;
}

/** A Secret object as an embedding file (JSON is YAML, so the asset-dir parser reads it as it is). */
export function embeddingOf(name: string, object: NonNullable<LiveSecret['object']>): EmbeddingFile {
  try {
    return parseEmbeddingFile(
      secretLocation(name),
      JSON.stringify({ kind: 'Secret', data: object.data ?? {} }),
    );
  } catch (cause) {
    throw new ClusterApiError(`${secretLocation(name)}: its data cannot be read`, { cause });
  }
}

/**
 * The tls/ name a copy in a control-plane Secret stands for: the data key's file (`apiserver.crt` →
 * `apiserver`), the client certificate of a nested kubeconfig by its key
 * (`kube-scheduler.kubeconfig` → `kube-scheduler`), a kubeconfig's CA as `ca`.
 */
export function nameOfCopy(copy: EmbeddedCopy): string {
  if (copy.hint) return certificateName(copy.hint);
  const nested = /^data\[([^\]]+)\.kubeconfig\] (\S+)$/.exec(copy.field);
  if (nested && /certificate-authority-data$/.test(nested[2]!)) return 'ca';
  if (nested && /client-certificate-data$/.test(nested[2]!)) return nested[1]!;
  return `${copy.file.replace(/^secret [^/]+\//, '')} ${copy.field}`;
}
