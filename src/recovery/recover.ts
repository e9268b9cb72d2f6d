/**
 * `bootkube recover`: read the self-hosted control plane from one source, and write the bootstrap
 * asset dir `start` runs to bring it back. The dir is checked with start's own loader before it is
 * written, then written atomically like render's: it appears complete or not at all.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadAssetDir } from '../bootstrap/asset-dir.js';
import { BootkubeError } from '../errors.js';
import { writeDirAtomic, type DirFile } from '../fs/atomic-dir.js';
import { HOST_PATHS } from '../render/constants.js';
import { toYaml } from '../render/template.js';
import type { WrittenFile } from '../render/render.js';
import { BOOTSTRAP_FILES, bootstrapPod } from './bootstrap-pods.js';
import { findControlPlane, type ControlPlane } from './control-plane.js';
import { credentialFiles, type CredentialOrigin } from './credentials.js';
import { RecoveryIncompleteError } from './errors.js';
import { readApiServer } from './sources/apiserver.js';
import { readBackup } from './sources/backup.js';
import { readCheckpoints } from './sources/checkpoints.js';
import { etcdOfApiserver } from './sources/apiserver-etcd.js';
import { readEtcd, type EtcdSourceOptions } from './sources/etcd.js';
import type { KubeObject, Role, Selectors, SourceSnapshot } from './types.js';

export type RecoverySource =
  | ({ kind: 'etcd' } & EtcdSourceOptions)
  | { kind: 'backup'; file: string; prefix?: string; onTempDir?: (dir: string) => void }
  | { kind: 'apiserver'; kubeconfig: string }
  | { kind: 'checkpoints'; dir: string };

export interface RecoverOptions {
  recoveryDir: string;
  source: RecoverySource;
  /** Replace an existing non-empty recovery dir. */
  force?: boolean;
  selectors?: Partial<Selectors>;
  adminKubeconfig?: string;
  /** This master's kubelet kubeconfig; `kubeletKubeconfigGiven` when the user named it. */
  kubeletKubeconfig?: string;
  kubeletKubeconfigGiven?: boolean;
  nodeName?: string;
  now?: Date;
}

export interface RecoveredComponent {
  role: Role;
  /** `DaemonSet kube-system/kube-apiserver` */
  from: string;
  bootstrapPod: string;
  images: string[];
}

export interface RecoverResult {
  recoveryDir: string;
  /** What was read, e.g. `etcd at http://10.0.0.10:2379 (prefix /registry)`. */
  source: string;
  /** The etcd revision read, for etcd and backup sources. */
  revision?: string;
  components: RecoveredComponent[];
  /** Components the source did not hold (a checkpoint dir has no controller-manager or scheduler). */
  missing: Role[];
  /** What the operator should know: where missing components came from, or why they are missing. */
  notes: string[];
  /** Objects in manifests/ (`kind namespace/name`). */
  objects: string[];
  adminCredentials: CredentialOrigin;
  kubeletCredentials: CredentialOrigin;
  files: WrittenFile[];
}

/** Reads `opts.source` and writes the recovered asset dir; nothing is written if anything fails. */
export async function recover(opts: RecoverOptions): Promise<RecoverResult> {
  const snapshot = await readSource(opts.source);
  const notes: string[] = [];
  let plane = findControlPlane(snapshot, opts.selectors, opts.source.kind === 'checkpoints');
  if (plane.missing.length > 0) plane = await completeFromEtcd(plane, snapshot, opts.selectors, notes);
  const pods = plane.components.map((c) => ({ c, file: BOOTSTRAP_FILES[c.role], pod: bootstrapPod(c) }));
  const creds = await credentialFiles(plane.secrets, {
    adminKubeconfig: opts.adminKubeconfig,
    sourceKubeconfig: opts.source.kind === 'apiserver' ? opts.source.kubeconfig : undefined,
    kubeletKubeconfig: opts.kubeletKubeconfig ?? (opts.nodeName ? undefined : HOST_PATHS.kubeletKubeconfig),
    kubeletKubeconfigGiven: opts.kubeletKubeconfigGiven ?? opts.kubeletKubeconfig !== undefined,
    nodeName: opts.nodeName,
    now: opts.now ?? new Date(),
  });
  const header = (what: string) =>
    `# Recovered by bootkube recover from ${snapshot.description}${snapshot.revision ? ` at revision ${snapshot.revision}` : ''}: ${what}\n`;
  const files: DirFile[] = [
    ...pods.map(({ c, file, pod }) => ({
      path: file,
      content: header(`the bootstrap twin of ${c.kind} ${c.namespace}/${c.name}.`) + toYaml([pod]),
      mode: 0o644,
    })),
    ...manifestFiles(plane, header),
    ...creds.files,
  ].sort((a, b) => a.path.localeCompare(b.path));
  await checkLoads(files, opts.now);
  await writeDirAtomic(opts.recoveryDir, files, { force: opts.force ?? false, label: '--recovery-dir' });
  return {
    recoveryDir: resolve(opts.recoveryDir),
    source: snapshot.description,
    ...(snapshot.revision ? { revision: snapshot.revision } : {}),
    components: pods.map(({ c, file, pod }) => ({
      role: c.role,
      from: `${c.kind} ${c.namespace}/${c.name}`,
      bootstrapPod: file,
      images: [...((pod.spec as any).initContainers ?? []), ...(pod.spec as any).containers].map(
        (x: any) => x.image,
      ),
    })),
    missing: plane.missing,
    notes,
    objects: plane.objects.map(describe),
    adminCredentials: creds.admin,
    kubeletCredentials: creds.kubelet,
    files: files.map((f) => ({
      path: f.path,
      mode: `0${f.mode.toString(8)}`,
      bytes: Buffer.byteLength(f.content),
    })),
  };
}

/**
 * Checkpoints hold only the apiserver: the controller-manager and scheduler are read from the etcd
 * the checkpointed apiserver names, with its credentials. If that etcd does not answer, the dir
 * holds the apiserver alone and a note says so.
 */
async function completeFromEtcd(
  plane: ControlPlane,
  snapshot: SourceSnapshot,
  selectors: Partial<Selectors> | undefined,
  notes: string[],
): Promise<ControlPlane> {
  const api = plane.components.find((c) => c.role === 'apiserver')!;
  const access = etcdOfApiserver(api, snapshot.secrets);
  const names = plane.missing.join(' and ');
  if (!access?.endpoints.length) {
    notes.push(`${names}: not in the checkpoints, and the apiserver names no etcd to read them from`);
    return plane;
  }
  let more: ControlPlane;
  try {
    const etcd = await readEtcd(access);
    more = findControlPlane(etcd, selectors, true);
  } catch (err) {
    if (!(err instanceof BootkubeError)) throw err;
    notes.push(
      `${names}: not in the checkpoints, and ${access.description} could not be read (${err.message})`,
    );
    return plane;
  }
  // Only the missing roles: the apiserver stays the checkpoint's.
  const components = [...plane.components, ...more.components.filter((c) => plane.missing.includes(c.role))];
  const seen = new Set(plane.objects.map(describe));
  notes.push(
    `${plane.missing.filter((r) => components.some((c) => c.role === r)).join(' and ')}: read from ${access.description}`,
  );
  return {
    components,
    missing: plane.missing.filter((r) => !components.some((c) => c.role === r)),
    objects: [...plane.objects, ...more.objects.filter((o) => !seen.has(describe(o)))],
    secrets: [...plane.secrets, ...more.secrets.filter((o) => !seen.has(describe(o)))],
  };
}

function readSource(source: RecoverySource): Promise<SourceSnapshot> {
  switch (source.kind) {
    case 'etcd':
      return readEtcd(source);
    case 'backup':
      return readBackup(source);
    case 'apiserver':
      return readApiServer(source.kubeconfig);
    case 'checkpoints':
      return readCheckpoints(source.dir);
  }
}

function describe(o: KubeObject): string {
  return `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
}

/** manifests/: one file per object, named as render names them (kube-apiserver.yaml, kube-apiserver-secret.yaml). */
function manifestFiles(plane: ControlPlane, header: (what: string) => string): DirFile[] {
  return plane.objects.map((o) => {
    const suffix = o.kind === 'Secret' ? '-secret' : o.kind === 'ConfigMap' ? '-config' : '';
    return {
      path: `manifests/${o.metadata.name}${suffix}.yaml`,
      content: header(`${describe(o)} as the cluster holds it.`) + toYaml([o]),
      mode: o.kind === 'Secret' ? 0o600 : 0o644,
    };
  });
}

/** start's loader must accept the dir: checked on a private copy, so a failure writes nothing. */
async function checkLoads(files: DirFile[], now?: Date): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'bootkube-recover-check-'));
  try {
    const dir = join(work, 'assets');
    await writeDirAtomic(dir, files, { force: false, label: 'recovered asset dir' });
    await loadAssetDir(dir, now);
  } catch (err) {
    const message = err instanceof BootkubeError ? err.userMessage() : (err as Error).message;
    throw new RecoveryIncompleteError(
      `the recovered asset dir would not load in start: ${message.replace(`${work}/assets/`, '')}`,
      {
        hint: 'the source holds a control plane start cannot run; see the message',
        cause: err,
      },
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
