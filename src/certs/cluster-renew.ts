/**
 * `certs renew --kubeconfig`: renew in the asset dir (renew.ts, unchanged), then install the renewed
 * certificates in the running control plane — each copy in its Secrets that stands for a renewed
 * tls/ file is replaced, found exactly as the asset dir's own copies are (the Secrets are read as
 * embedding files beside tls/) — roll the components whose Secret changed, and wait until they run
 * with it: the rollout complete, and for the apiserver the certificate it serves is the new one.
 *
 * Before anything is written: the kubeconfig must reach the API, and the asset dir's CA must be
 * the one in the cluster's Secrets (else the renewed certificates would be untrusted there). A CA is
 * never renewed here: every kubelet and client trusts it, so that is done by hand (docs/day-2.md).
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { parse } from 'yaml';
import { NAMESPACE, SECRET_NAMES } from '../render/constants.js';
import type { Cluster } from '../status/connect.js';
import { servedCertificate } from '../status/serving.js';
import { ClusterApiError } from '../status/errors.js';
import { loadAssetPki } from './asset-pki.js';
import { readAssetTree } from './asset-tree.js';
import { readControlPlaneSecrets, secretLocation, secretPath, type LiveSecret } from './cluster-secrets.js';
import { CertsClusterMismatchError, CertsSelectionError } from './errors.js';
import { renew, type RenewOptions, type RenewResult } from './renew.js';
import { retrying, roll, type Rollout, type WorkloadKind } from './rollout.js';

export interface ClusterRenewOptions extends Pick<RenewOptions, 'newKey' | 'onStage'> {
  renewCa?: boolean;
  /** How long the rollouts and the served certificate may take in all (default 5 minutes). */
  timeoutMs?: number;
  /** One line per step, for a human watching. */
  progress?: (line: string) => void;
}

export interface ClusterRenewResult extends RenewResult {
  cluster: string;
  /** The Secrets changed, and the data keys in each. */
  secretsUpdated: Array<{ secret: string; keys: string[] }>;
  /** The components rolled, in order, with how long each took. */
  rollouts: Rollout[];
  /** Set when the apiserver certificate was renewed: the API serves the new one. */
  served?: { sha256Fingerprint: string; notAfter: string };
  /** Renewed names that are in none of the control plane's Secrets: installed by hand (docs/day-2.md). */
  notInCluster: string[];
}

/** Which workload reads which Secret. */
const WORKLOAD_OF: Record<string, { kind: WorkloadKind; name: string }> = {
  [SECRET_NAMES.kubeApiserver]: { kind: 'DaemonSet', name: 'kube-apiserver' },
  [SECRET_NAMES.kubeControllerManager]: { kind: 'Deployment', name: 'kube-controller-manager' },
  [SECRET_NAMES.kubeScheduler]: { kind: 'Deployment', name: 'kube-scheduler' },
};

/** Renews `names` (or every leaf) in `assetDir` and installs them in `cluster`; see the module comment. */
export async function renewCluster(
  cluster: Cluster,
  assetDir: string,
  names: string[] | 'all',
  now: Date,
  opts: ClusterRenewOptions = {},
): Promise<ClusterRenewResult> {
  const progress = opts.progress ?? (() => {});
  if (opts.renewCa) {
    throw new CertsSelectionError(
      '--renew-ca cannot be used with --kubeconfig: a CA is never renewed on a running cluster',
      {
        hint: 'renew the CA on the asset dir alone and install it by hand, master by master (docs/day-2.md)',
      },
    );
  }
  const root = resolve(assetDir);
  const before = await readControlPlaneSecrets(cluster);
  await checkSameCluster(cluster, root, assetDir, before);

  const result = await renew(root, names, now, { newKey: opts.newKey, onStage: opts.onStage });
  progress(`Renewed ${result.renewed.map((r) => r.name).join(', ')} in ${result.assetDir}.`);
  const deadline = Date.now() + (opts.timeoutMs ?? 5 * 60_000);

  const { updates, installed } = await plannedUpdates(root, result, before);
  const secretsUpdated: ClusterRenewResult['secretsUpdated'] = [];
  for (const u of updates) {
    const object = { ...u.secret.object!, data: u.data };
    await retrying(
      cluster,
      'PUT',
      secretPath(u.secret.name),
      object,
      `update ${secretLocation(u.secret.name)}`,
      deadline,
    );
    secretsUpdated.push({ secret: `${NAMESPACE}/${u.secret.name}`, keys: u.keys });
    progress(`Updated ${secretLocation(u.secret.name)}: ${u.keys.join(', ')}.`);
  }

  const rollouts: Rollout[] = [];
  // The apiserver first, while the controller-manager that rolls it is still the one that runs.
  for (const secret of Object.values(SECRET_NAMES)) {
    if (!updates.some((u) => u.secret.name === secret)) continue;
    const w = WORKLOAD_OF[secret]!;
    progress(`Rolling ${w.kind.toLowerCase()}/${w.name} …`);
    const r = await roll(cluster, w.kind, w.name, now, deadline);
    rollouts.push(r);
    progress(`Rolled ${r.workload} in ${r.seconds} s.`);
  }

  let served: ClusterRenewResult['served'];
  if (result.renewed.some((r) => r.path === 'tls/apiserver.crt') && installed.has('tls/apiserver.crt')) {
    const want = new X509Certificate(await readFile(join(root, 'tls/apiserver.crt')));
    served = await waitServed(cluster, want, deadline);
    progress(`The API serves the renewed apiserver certificate (until ${served.notAfter}).`);
  }
  return {
    ...result,
    cluster: cluster.server.origin,
    secretsUpdated,
    rollouts,
    ...(served ? { served } : {}),
    notInCluster: result.renewed.filter((r) => !installed.has(r.path)).map((r) => r.name),
  };
}

/** The asset dir's CA is the CA in the cluster's apiserver Secret; else throws CertsClusterMismatchError. */
async function checkSameCluster(
  cluster: Cluster,
  root: string,
  label: string,
  secrets: LiveSecret[],
): Promise<void> {
  const apiserver = secrets.find((s) => s.name === SECRET_NAMES.kubeApiserver);
  const live = apiserver?.embedding?.copies.find((c) => c.field === 'data[ca.crt]');
  if (!live) {
    throw new CertsClusterMismatchError(
      `the cluster at ${cluster.server.origin} has no ${secretLocation(SECRET_NAMES.kubeApiserver)} with a ca.crt: it is not a control plane bootkube rendered`,
      { hint: 'renew its certificates with the tooling that made it' },
    );
  }
  const own = await readFile(join(root, 'tls/ca.crt'), 'utf8').catch(() => undefined);
  if (!own || new X509Certificate(own).fingerprint256 !== new X509Certificate(live.pem).fingerprint256) {
    throw new CertsClusterMismatchError(
      `--asset-dir ${label} is not this cluster's: its tls/ca.crt is not the CA in ${secretLocation(SECRET_NAMES.kubeApiserver)}`,
      { hint: 'give the asset dir this cluster was rendered (or recovered) from' },
    );
  }
}

interface Update {
  secret: LiveSecret;
  data: Record<string, string>;
  keys: string[];
}

/**
 * The new data of every Secret with a copy of a renewed file, and the tls/ paths that have a copy
 * in some Secret. The live Secrets join the renewed tls/ files as embedding files, so each copy is
 * matched to its tls/ file as in an asset dir (data key; nested kubeconfig by subject and issuer;
 * its key by the certificate beside it).
 */
async function plannedUpdates(
  root: string,
  result: RenewResult,
  secrets: LiveSecret[],
): Promise<{ updates: Update[]; installed: Set<string> }> {
  const tree = await readAssetTree(root, '--asset-dir');
  const files = new Map<string, string>();
  for (const [path, f] of tree.files)
    if (path.startsWith('tls/')) files.set(path, f.content.toString('utf8'));
  const liveFile = (name: string) => `manifests/.live-${name}.yaml`;
  for (const s of secrets)
    if (s.object) files.set(liveFile(s.name), stringify({ kind: 'Secret', data: s.object.data ?? {} }));
  const pki = loadAssetPki(files);
  const renewed = new Set(result.renewed.map((r) => r.path));
  const changed = new Set(result.filesChanged.filter((p) => p.startsWith('tls/')));
  const installed = new Set<string>();
  const updates: Update[] = [];
  for (const s of secrets) {
    const file = pki.embedding.find((f) => f.path === liveFile(s.name));
    if (!file) continue;
    const keys = new Set<string>();
    for (const copy of file.copies) {
      const source = pki.counterpartOf(copy);
      if (!source) continue;
      if (renewed.has(source)) installed.add(source);
      if (!changed.has(source)) continue;
      const pem = files.get(source)!;
      if (copy.pem.trim() === pem.trim()) continue;
      file.set(copy, pem);
      keys.add(/^data\[([^\]]+)\]/.exec(copy.field)![1]!);
    }
    if (!file.changed()) continue;
    const data = (parse(file.text()) as { data: Record<string, string> }).data;
    updates.push({ secret: s, data, keys: [...keys].sort() });
  }
  return { updates, installed };
}

/** Until a TLS handshake with the API shows `want`. */
async function waitServed(
  cluster: Cluster,
  want: X509Certificate,
  deadline: number,
): Promise<{ sha256Fingerprint: string; notAfter: string }> {
  let last = 'no handshake yet';
  while (Date.now() < deadline) {
    const got = await servedCertificate(cluster.server).catch((e: Error) => e);
    if (!(got instanceof Error) && got.x509.fingerprint256 === want.fingerprint256)
      return { sha256Fingerprint: want.fingerprint256, notAfter: new Date(want.validTo).toISOString() };
    last =
      got instanceof Error
        ? got.message
        : `it serves ${got.x509.fingerprint256.slice(0, 23)}…, valid to ${got.x509.validTo}`;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new ClusterApiError(
    `the API at ${cluster.server.origin} does not serve the renewed apiserver certificate (${last})`,
    {
      hint: 'see `bootkube status`: is the new apiserver pod running?',
    },
  );
}
