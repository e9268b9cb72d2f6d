/**
 * The part of a kubeconfig a kubelet uses: the server, the CA it trusts, and the client
 * certificate it presents (the kubelet authenticates with x509 only). The identity is read from
 * the certificate, so `simulate` can name a single node after a node certificate.
 */
import { X509Certificate } from 'node:crypto';
import { readKubeconfig, type KubeconfigContext } from '../../kubeconfig/index.js';
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

/** Reads FILE's current context into credentials; a clear error naming what is missing otherwise. */
export async function loadKubeconfig(file: string): Promise<KubeletCredentials> {
  let kc: KubeconfigContext;
  try {
    kc = await readKubeconfig(file);
  } catch (cause) {
    throw new SimConfigError((cause as Error).message, {
      hint: 'pass a kubeconfig from `bootkube render` (auth/kubeconfig)',
      cause,
    });
  }
  const fail = (what: string) =>
    new SimConfigError(`kubeconfig ${file} has no ${what}`, {
      hint: 'the simulated kubelet authenticates with a client certificate, as render writes them',
    });
  if (!kc.ca) throw fail('certificate-authority');
  if (!kc.cert) throw fail('client certificate');
  if (!kc.key) throw fail('client key');
  const subject = parseSubject(new X509Certificate(kc.cert).subject);
  return {
    server: kc.server.toString().replace(/\/$/, ''),
    ca: kc.ca,
    cert: kc.cert,
    key: kc.key,
    user: subject.cn,
    groups: subject.o,
  };
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
