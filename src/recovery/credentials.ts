/**
 * The recovered dir's tls/ and auth/: the certificates and keys the control-plane Secrets hold,
 * under render's names, and the two kubeconfigs `start` needs. The admin's key is never in the
 * cluster; render puts the cluster CA's key in the controller-manager's Secret (it signs kubelet
 * certificates), so an admin certificate is issued with it unless the operator gives one.
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml, stringify } from 'yaml';
import type { DirFile } from '../fs/atomic-dir.js';
import { readKubeconfig } from '../kubeconfig/index.js';
import {
  generateKey,
  issue,
  issuerFrom,
  leafValidity,
  loadPrivateKey,
  privateKeyToPem,
} from '../pki/index.js';
import { SECRET_KEYS, TLS_PATHS } from '../render/constants.js';
import { RecoveryCredentialsError, RecoveryIncompleteError } from './errors.js';
import type { KubeObject } from './types.js';

export interface CredentialOptions {
  /** --admin-kubeconfig: the admin identity to use. */
  adminKubeconfig?: string;
  /** The source's own kubeconfig (--kubeconfig), used for the admin when it holds a cluster certificate. */
  sourceKubeconfig?: string;
  /** --kubelet-kubeconfig: this master's kubelet kubeconfig. */
  kubeletKubeconfig?: string;
  /** Whether kubeletKubeconfig was given by the user (not the default path). */
  kubeletKubeconfigGiven?: boolean;
  /** --node-name: issue a kubelet certificate for this node instead. */
  nodeName?: string;
  now: Date;
}

export type CredentialOrigin = 'issued' | 'admin-kubeconfig' | 'source-kubeconfig' | 'kubelet-kubeconfig';

export interface Credentials {
  files: DirFile[];
  admin: CredentialOrigin;
  kubelet: CredentialOrigin;
}

const KUBECONFIG_FILES: Record<string, string> = {
  [SECRET_KEYS.controllerManagerKubeconfig]: 'auth/kubeconfig-controller-manager',
  [SECRET_KEYS.schedulerKubeconfig]: 'auth/kubeconfig-scheduler',
};

/** tls/ and auth/ for the control plane whose Secrets are `secrets`. */
export async function credentialFiles(secrets: KubeObject[], opts: CredentialOptions): Promise<Credentials> {
  const data = secretData(secrets);
  const caPem = data.get(SECRET_KEYS.ca)?.toString('utf8');
  if (!caPem)
    throw new RecoveryIncompleteError(`no Secret of the control plane holds ${SECRET_KEYS.ca}`, {
      hint: 'the cluster was not rendered by bootkube, or its Secrets were edited',
    });
  const files: DirFile[] = [];
  for (const [name, key] of Object.entries(SECRET_KEYS)) {
    const content = data.get(key);
    const path = (TLS_PATHS as Record<string, string>)[name] ?? KUBECONFIG_FILES[key];
    if (!content || !path) continue;
    files.push({ path, content, mode: path.endsWith('.crt') || path.endsWith('.pub') ? 0o644 : 0o600 });
  }
  const cluster =
    clusterInSecrets(data, caPem) ??
    (await firstCluster([opts.adminKubeconfig, opts.sourceKubeconfig, opts.kubeletKubeconfig]));
  const caKey = data.get(SECRET_KEYS.caKey)?.toString('utf8');
  const issueFor = async (name: string, commonName: string, organizations: string[]) => {
    if (!caKey) return undefined;
    const privateKey = loadPrivateKey(caKey, `Secret key ${SECRET_KEYS.caKey}`);
    const issuer = issuerFrom(new X509Certificate(caPem), privateKey);
    const key = await generateKey(privateKey.asymmetricKeyType === 'rsa' ? 'rsa-2048' : 'ecdsa-p256');
    const cert = issue(
      {
        name,
        commonName,
        organizations,
        isCa: false,
        usages: ['clientAuth'],
        sans: { dns: [], ips: [] },
        ...leafValidity(opts.now, issuer),
      },
      key.publicKey,
      issuer,
    );
    const keyPem = privateKeyToPem(key.privateKey);
    files.push(
      { path: `tls/${name}.crt`, content: cert, mode: 0o644 },
      { path: `tls/${name}.key`, content: keyPem, mode: 0o600 },
    );
    return { cert, key: keyPem };
  };

  let admin: CredentialOrigin;
  if (opts.adminKubeconfig) {
    files.push(
      await copiedKubeconfig(opts.adminKubeconfig, '--admin-kubeconfig', caPem, 'admin', cluster.name),
    );
    admin = 'admin-kubeconfig';
  } else if (opts.sourceKubeconfig && (await holdsClusterCertificate(opts.sourceKubeconfig, caPem))) {
    files.push(await copiedKubeconfig(opts.sourceKubeconfig, '--kubeconfig', caPem, 'admin', cluster.name));
    admin = 'source-kubeconfig';
  } else {
    const id = await issueFor('admin', 'kubernetes-admin', ['system:masters']);
    if (!id)
      throw new RecoveryCredentialsError(
        `the control plane's Secrets hold no ${SECRET_KEYS.caKey}, so no admin certificate can be issued`,
        {
          hint: "give --admin-kubeconfig FILE: the cluster's admin kubeconfig (auth/kubeconfig of the asset dir render wrote)",
        },
      );
    files.push({
      path: 'auth/kubeconfig',
      content: kubeconfigText(cluster, caPem, 'admin', id),
      mode: 0o600,
    });
    admin = 'issued';
  }

  let kubelet: CredentialOrigin;
  if (opts.nodeName && !opts.kubeletKubeconfigGiven) {
    const id = await issueFor('kubelet', `system:node:${opts.nodeName}`, ['system:nodes']);
    if (!id)
      throw new RecoveryCredentialsError(
        `--node-name needs the cluster CA's key, and the control plane's Secrets hold no ${SECRET_KEYS.caKey}`,
        {
          hint: "give --kubelet-kubeconfig FILE instead (the master's /etc/kubernetes/kubeconfig)",
        },
      );
    files.push({
      path: 'auth/kubeconfig-kubelet',
      content: kubeconfigText(cluster, caPem, 'kubelet', id),
      mode: 0o600,
    });
    kubelet = 'issued';
  } else if (opts.kubeletKubeconfig) {
    files.push(
      await copiedKubeconfig(
        opts.kubeletKubeconfig,
        '--kubelet-kubeconfig',
        caPem,
        'kubelet',
        cluster.name,
        !opts.kubeletKubeconfigGiven,
      ),
    );
    kubelet = 'kubelet-kubeconfig';
  } else {
    throw new RecoveryCredentialsError('no kubelet kubeconfig for auth/kubeconfig-kubelet', {
      hint: "give --kubelet-kubeconfig FILE (the master's /etc/kubernetes/kubeconfig) or --node-name NAME",
    });
  }
  return { files, admin, kubelet };
}

/** The union of the Secrets' data, as start installs it into bootstrap-secrets. */
function secretData(secrets: KubeObject[]): Map<string, Buffer> {
  const data = new Map<string, Buffer>();
  for (const s of secrets) {
    for (const [key, value] of Object.entries((s.data as Record<string, string>) ?? {})) {
      const bytes = Buffer.from(value, 'base64');
      const seen = data.get(key);
      if (seen && !seen.equals(bytes))
        throw new RecoveryIncompleteError(
          `Secret ${s.metadata.name}: key ${key} differs from the same key in another control-plane Secret`,
          {
            hint: 'bootstrap-secrets is their union: make the keys agree, or recover from a backup',
          },
        );
      data.set(key, bytes);
    }
  }
  return data;
}

interface Cluster {
  name: string;
  server: string;
}

/** The cluster name and API URL of the controller-manager's or scheduler's kubeconfig. */
function clusterInSecrets(data: Map<string, Buffer>, caPem: string): Cluster | undefined {
  for (const key of [SECRET_KEYS.controllerManagerKubeconfig, SECRET_KEYS.schedulerKubeconfig]) {
    const text = data.get(key)?.toString('utf8');
    const cluster = text ? currentCluster(text) : undefined;
    if (
      cluster &&
      (!cluster.caData || Buffer.from(cluster.caData, 'base64').toString().trim() === caPem.trim())
    )
      return { name: cluster.name, server: cluster.server };
  }
  return undefined;
}

/** A checkpoint dir holds only the apiserver's Secret: the API URL then comes from a kubeconfig given. */
async function firstCluster(files: Array<string | undefined>): Promise<Cluster> {
  for (const file of files) {
    const text = file ? await readFile(file, 'utf8').catch(() => undefined) : undefined;
    const cluster = text ? currentCluster(text) : undefined;
    if (cluster) return { name: cluster.name, server: cluster.server };
  }
  throw new RecoveryCredentialsError(
    `no Secret of the control plane holds ${SECRET_KEYS.controllerManagerKubeconfig} or ${SECRET_KEYS.schedulerKubeconfig}, and no kubeconfig was given, so the API server's address is unknown`,
    { hint: 'give --admin-kubeconfig FILE or --kubelet-kubeconfig FILE of this cluster' },
  );
}

function currentCluster(text: string): (Cluster & { caData?: string }) | undefined {
  try {
    const doc = parseYaml(text) as any;
    const ctx = doc?.contexts?.find((c: any) => c.name === doc['current-context'])?.context;
    const entry = doc?.clusters?.find((c: any) => c.name === ctx?.cluster) ?? doc?.clusters?.[0];
    if (!entry?.cluster?.server) return undefined;
    return {
      name: String(entry.name ?? 'bootkube'),
      server: String(entry.cluster.server),
      caData: entry.cluster['certificate-authority-data'],
    };
  } catch {
    return undefined;
  }
}

async function holdsClusterCertificate(file: string, caPem: string): Promise<boolean> {
  const kc = await readKubeconfig(file).catch(() => undefined);
  if (!kc?.cert || !kc.key) return false;
  try {
    return new X509Certificate(kc.cert).verify(new X509Certificate(caPem).publicKey);
  } catch {
    return false;
  }
}

/** FILE's identity as a kubeconfig with inline data, trusting the cluster CA; refused if it does not fit. */
async function copiedKubeconfig(
  file: string,
  flag: string,
  caPem: string,
  user: string,
  clusterName: string,
  defaulted = false,
): Promise<DirFile> {
  const fail = (what: string, cause?: unknown): never => {
    throw new RecoveryCredentialsError(`${flag} ${file}${defaulted ? ' (the default)' : ''}: ${what}`, {
      hint:
        user === 'kubelet'
          ? "give --kubelet-kubeconfig FILE (the master's /etc/kubernetes/kubeconfig) or --node-name NAME"
          : 'give a kubeconfig with a client certificate of this cluster',
      cause,
    });
  };
  await readFile(file).catch((cause: NodeJS.ErrnoException) =>
    fail(cause.code === 'ENOENT' ? 'no such file' : cause.message, cause),
  );
  const kc = await readKubeconfig(file).catch((cause: Error) => fail(cause.message, cause));
  if (!kc.cert || !kc.key) return fail('has no client certificate and key');
  let issued = false;
  try {
    issued = new X509Certificate(kc.cert).verify(new X509Certificate(caPem).publicKey);
  } catch (cause) {
    fail(`its client certificate does not parse (${(cause as Error).message})`, cause);
  }
  if (!issued) fail("its client certificate was not issued by the cluster's CA (the Secrets' ca.crt)");
  return {
    path: user === 'admin' ? 'auth/kubeconfig' : 'auth/kubeconfig-kubelet',
    content: kubeconfigText({ name: clusterName, server: kc.server.href.replace(/\/$/, '') }, caPem, user, {
      cert: kc.cert,
      key: kc.key,
    }),
    mode: 0o600,
  };
}

/** A kubeconfig shaped like templates/auth/kubeconfig.yaml. */
function kubeconfigText(
  cluster: Cluster,
  caPem: string,
  user: string,
  id: { cert: string; key: string },
): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const context = `${user}@${cluster.name}`;
  return stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: cluster.name, cluster: { server: cluster.server, 'certificate-authority-data': b64(caPem) } },
      ],
      users: [
        { name: user, user: { 'client-certificate-data': b64(id.cert), 'client-key-data': b64(id.key) } },
      ],
      contexts: [{ name: context, context: { cluster: cluster.name, user } }],
      'current-context': context,
      preferences: {},
    },
    { lineWidth: 0 },
  );
}
