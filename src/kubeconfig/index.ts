/**
 * A kubeconfig's current context, read with a YAML parser alone: server, CA, client certificate
 * and key (inline data or files relative to the kubeconfig), or a bearer token. What the
 * checkpointer, start and the simulated kubelets need; @kubernetes/client-node's KubeConfig would
 * do it too, but importing that library costs ~75 MiB of resident memory, more than the
 * checkpointer's whole budget (DESIGN §9).
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
// js-yaml, not the `yaml` package the rest of bootkube uses: ~6 MiB less resident memory in the
// checkpointer daemon, which reads only this one file.
import { load as parseYaml } from 'js-yaml';
import { InputError } from '../errors.js';

/** A kubeconfig that cannot be read or names no usable cluster or user. */
export class KubeconfigError extends InputError {
  readonly code = 'KUBECONFIG_INVALID';
}

export interface KubeconfigContext {
  server: URL;
  /** PEM, when the kubeconfig names a CA. */
  ca?: string;
  cert?: string;
  key?: string;
  token?: string;
  insecureSkipTlsVerify: boolean;
}

type Named<T> = { name: string } & T;
interface Doc {
  clusters?: Named<{ cluster?: Record<string, any> }>[];
  users?: Named<{ user?: Record<string, any> }>[];
  contexts?: Named<{ context?: { cluster?: string; user?: string } }>[];
  'current-context'?: string;
}

/** Reads FILE's current context. */
export async function readKubeconfig(file: string): Promise<KubeconfigContext> {
  let doc: Doc;
  try {
    doc = (parseYaml(await readFile(file, 'utf8')) ?? {}) as Doc;
  } catch (cause) {
    throw new KubeconfigError(`kubeconfig ${file}: ${(cause as Error).message.split('\n')[0]}`, { cause });
  }
  const name = doc['current-context'] ?? doc.contexts?.[0]?.name;
  const ctx = doc.contexts?.find((c) => c.name === name)?.context;
  const cluster = (ctx ? doc.clusters?.find((c) => c.name === ctx.cluster) : doc.clusters?.[0])?.cluster;
  const user = (ctx ? doc.users?.find((u) => u.name === ctx.user) : doc.users?.[0])?.user ?? {};
  if (!cluster?.server)
    throw new KubeconfigError(`kubeconfig ${file} has no current cluster with a server`, {
      hint: 'set current-context',
    });
  let server: URL;
  try {
    server = new URL(String(cluster.server));
  } catch (cause) {
    throw new KubeconfigError(`kubeconfig ${file}: server ${cluster.server} is not a URL`, { cause });
  }
  const base = dirname(resolve(file));
  const pem = async (data: unknown, path: unknown): Promise<string | undefined> => {
    if (typeof data === 'string' && data) return Buffer.from(data, 'base64').toString('utf8');
    if (typeof path === 'string' && path) {
      try {
        return await readFile(resolve(base, path), 'utf8');
      } catch (cause) {
        throw new KubeconfigError(`kubeconfig ${file}: cannot read ${path}: ${(cause as Error).message}`, {
          cause,
        });
      }
    }
    return undefined;
  };
  return {
    server,
    ca: await pem(cluster['certificate-authority-data'], cluster['certificate-authority']),
    cert: await pem(user['client-certificate-data'], user['client-certificate']),
    key: await pem(user['client-key-data'], user['client-key']),
    token: typeof user.token === 'string' ? user.token : undefined,
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
  };
}
