/**
 * A component's kubeconfig (`--kubeconfig`) read into what the stand-ins' client needs: the server,
 * the CA and the client certificate. Embedded `*-data` and file paths are both honoured; file paths
 * are the container's, so they go through the same mapping as the flag that named the kubeconfig.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { StandInConfigError } from '../errors.js';

export interface ClientConfig {
  /** https://host:port */
  server: string;
  /** PEM: the CA the server's certificate must chain to; undefined trusts the system CAs. */
  ca?: string;
  /** PEM: the client certificate and key (the component's identity). */
  cert?: string;
  key?: string;
  userAgent?: string;
}

interface Named<T> {
  name: string;
  [key: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}

type Kubeconfig = {
  'current-context'?: string;
  clusters?: Named<Record<string, string>>[];
  users?: Named<Record<string, string>>[];
  contexts?: Named<{ cluster?: string; user?: string }>[];
};

/**
 * Reads the kubeconfig at `hostPath`; `mapPath` turns a path written inside it (relative to the
 * kubeconfig's directory as the container sees it, `containerDir`) into a readable host path.
 */
export async function loadKubeconfig(
  hostPath: string,
  mapPath: (containerPath: string) => string = (p) => p,
  containerDir = dirname(hostPath),
): Promise<ClientConfig> {
  let doc: Kubeconfig;
  try {
    doc = parseYaml(await readFile(hostPath, 'utf8')) as Kubeconfig;
  } catch (cause) {
    throw new StandInConfigError(`cannot read kubeconfig ${hostPath}: ${(cause as Error).message}`, {
      cause,
    });
  }
  const contextName = doc['current-context'] ?? doc.contexts?.[0]?.name;
  const context = doc.contexts?.find((c) => c.name === contextName)?.context ?? {};
  const cluster = (doc.clusters?.find((c) => c.name === context.cluster) ?? doc.clusters?.[0])?.cluster;
  const user = (doc.users?.find((u) => u.name === context.user) ?? doc.users?.[0])?.user ?? {};
  if (!cluster?.server) throw new StandInConfigError(`kubeconfig ${hostPath} names no server`);
  const pem = async (data: string | undefined, file: string | undefined): Promise<string | undefined> => {
    if (data) return Buffer.from(data, 'base64').toString('utf8');
    if (!file) return undefined;
    const path = mapPath(isAbsolute(file) ? file : join(containerDir, file));
    try {
      return await readFile(path, 'utf8');
    } catch (cause) {
      throw new StandInConfigError(
        `kubeconfig ${hostPath}: cannot read ${file}: ${(cause as Error).message}`,
        { cause },
      );
    }
  };
  return {
    server: cluster.server.replace(/\/+$/, ''),
    ca: await pem(cluster['certificate-authority-data'], cluster['certificate-authority']),
    cert: await pem(user['client-certificate-data'], user['client-certificate']),
    key: await pem(user['client-key-data'], user['client-key']),
  };
}
