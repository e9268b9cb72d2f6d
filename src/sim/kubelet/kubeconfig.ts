/**
 * The part of a kubeconfig a kubelet uses: the server, the CA it trusts, and the client
 * certificate it presents (the kubelet authenticates with x509 only). The identity is read from
 * the certificate, so `simulate` can name a single node after a node certificate.
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { SimConfigError } from './errors.js';

export interface KubeletCredentials {
  server: string;
  ca: string;
  cert: string;
  key: string;
  /** The certificate's CN and Os: `system:node:<name>` in `system:nodes` for a kubelet. */
  user: string;
  groups: string[];
}

type Named<T> = { name: string } & T;
interface Kubeconfig {
  clusters?: Named<{ cluster?: Record<string, string> }>[];
  users?: Named<{ user?: Record<string, string> }>[];
  contexts?: Named<{ context?: { cluster?: string; user?: string } }>[];
  'current-context'?: string;
}

/** Reads FILE's current context into credentials; a clear error naming what is missing otherwise. */
export async function loadKubeconfig(file: string): Promise<KubeletCredentials> {
  let doc: Kubeconfig;
  try {
    doc = parseYaml(await readFile(file, 'utf8')) as Kubeconfig;
  } catch (cause) {
    throw new SimConfigError(`kubeconfig ${file}: ${(cause as Error).message}`, {
      hint: 'pass a kubeconfig from `bootkube render` (auth/kubeconfig)',
      cause,
    });
  }
  const base = dirname(resolve(file));
  const ctxName = doc['current-context'] ?? doc.contexts?.[0]?.name;
  const ctx = doc.contexts?.find((c) => c.name === ctxName)?.context;
  const cluster = doc.clusters?.find((c) => c.name === ctx?.cluster)?.cluster ?? doc.clusters?.[0]?.cluster;
  const user = doc.users?.find((u) => u.name === ctx?.user)?.user ?? doc.users?.[0]?.user;
  const fail = (what: string) =>
    new SimConfigError(`kubeconfig ${file} has no ${what}`, {
      hint: 'the simulated kubelet authenticates with a client certificate, as render writes them',
    });
  if (!cluster?.server) throw fail('cluster server');
  if (!user) throw fail('user');
  const pem = async (data: string | undefined, path: string | undefined, what: string): Promise<string> => {
    if (data) return Buffer.from(data, 'base64').toString('utf8');
    if (path) return readFile(resolve(base, path), 'utf8');
    throw fail(what);
  };
  const ca = await pem(
    cluster['certificate-authority-data'],
    cluster['certificate-authority'],
    'certificate-authority',
  );
  const cert = await pem(user['client-certificate-data'], user['client-certificate'], 'client certificate');
  const key = await pem(user['client-key-data'], user['client-key'], 'client key');
  const subject = parseSubject(new X509Certificate(cert).subject);
  return { server: cluster.server, ca, cert, key, user: subject.cn, groups: subject.o };
}

function parseSubject(subject: string): { cn: string; o: string[] } {
  const out = { cn: '', o: [] as string[] };
  for (const line of subject.split('\n')) {
    const eq = line.indexOf('=');
    const k = line.slice(0, eq);
    const v = line.slice(eq + 1);
    if (k === 'CN') out.cn = v;
    if (k === 'O') out.o.push(v);
  }
  return out;
}

/** The node a certificate is for, when it is a kubelet's (`system:node:<name>`). */
export function nodeNameOf(creds: Pick<KubeletCredentials, 'user' | 'groups'>): string | undefined {
  return creds.groups.includes('system:nodes') && creds.user.startsWith('system:node:')
    ? creds.user.slice('system:node:'.length)
    : undefined;
}
