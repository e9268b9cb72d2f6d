/**
 * Reading kube-system's workloads, Secrets and ConfigMaps straight from etcd, in kube-apiserver's
 * layout (DESIGN §4). The key prefixes come from the API server's resource table; every read is at
 * one revision, so the snapshot is consistent. Nothing is ever written.
 */
import { readFile } from 'node:fs/promises';
import { createRegistry, storagePrefixKey } from '../../apiserver/registry/index.js';
import { createEtcdClient, toStorageError } from '../../apiserver/storage/etcd-client.js';
import { decodeValue, UnreadableValueError, type EtcdTls } from '../../apiserver/storage/index.js';
import { NAMESPACE } from '../../render/constants.js';
import {
  RecoveryFlagsError,
  RecoverySourceUnreachableError,
  RecoveryUnreadableValueError,
} from '../errors.js';
import type { KubeObject, SourceSnapshot } from '../types.js';

export interface EtcdSourceOptions {
  endpoints: string[];
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** The key prefix of the Kubernetes data (kube-apiserver's --etcd-prefix), `/registry` by default. */
  prefix?: string;
  /** TLS material in memory, instead of the three files (credentials found in a checkpoint). */
  tls?: EtcdTls;
  /** Shown in messages instead of the endpoints (a restored backup). */
  description?: string;
}

// Keys are built with the registry's own prefixes, which assume /registry; --etcd-prefix replaces it.
const REGISTRY_ROOT = '/registry';

/** The kube-system snapshot of the etcd `opts` names. */
export async function readEtcd(opts: EtcdSourceOptions): Promise<SourceSnapshot> {
  const prefix = normalisePrefix(opts.prefix ?? REGISTRY_ROOT);
  const where = opts.description ?? `etcd at ${opts.endpoints.join(', ')}`;
  const description = `${where} (prefix ${prefix})`;
  const client = createEtcdClient({ endpoints: opts.endpoints, tls: await readTls(opts) });
  const registry = createRegistry();
  const keyPrefix = (apiVersion: string, kind: string): string => {
    const info = registry.byKind(apiVersion, kind);
    if (!info) throw new Error(`recover: the resource table has no ${apiVersion} ${kind}`);
    return `${prefix}${storagePrefixKey(info, NAMESPACE).slice(REGISTRY_ROOT.length)}/`;
  };
  try {
    const first = await client.getAll().prefix(`${prefix}/`).count().catch(unreachable(opts, where));
    // One revision for every read: the control plane is read as it was at one moment.
    const head = await client.getAll().prefix(`${prefix}/`).limit(1).exec().catch(unreachable(opts, where));
    const revision = String(head.header.revision);
    const range = async (apiVersion: string, kind: string) => {
      const res = await client
        .getAll()
        .prefix(keyPrefix(apiVersion, kind))
        .revision(revision)
        .exec()
        .catch(unreachable(opts, where));
      return res.kvs.map((kv) => ({ key: kv.key.toString(), value: kv.value, rev: kv.mod_revision }));
    };
    const [daemonSets, deployments, secrets, configMaps] = await Promise.all([
      range('apps/v1', 'DaemonSet'),
      range('apps/v1', 'Deployment'),
      range('v1', 'Secret'),
      range('v1', 'ConfigMap'),
    ]);
    const lazy = (kvs: typeof secrets) =>
      new Map(
        kvs.map((kv) => [kv.key.slice(kv.key.lastIndexOf('/') + 1), () => decode(kv.key, kv.value, kv.rev)]),
      );
    return {
      description,
      workloads: [...daemonSets, ...deployments].map((kv) => decode(kv.key, kv.value, kv.rev)),
      pods: [],
      secrets: lazy(secrets),
      configMaps: lazy(configMaps),
      objectCount: first,
      revision,
    };
  } finally {
    client.close();
  }
}

/** The etcd revision now: tests and the docs compare it before and after a recovery (nothing is written). */
export async function etcdRevision(opts: EtcdSourceOptions): Promise<string> {
  const client = createEtcdClient({ endpoints: opts.endpoints, tls: await readTls(opts) });
  try {
    const res = await client.getAll().prefix('/').limit(1).exec().catch(unreachable(opts, 'etcd'));
    return String(res.header.revision);
  } finally {
    client.close();
  }
}

function normalisePrefix(prefix: string): string {
  const p = prefix.replace(/\/+$/, '');
  if (!p.startsWith('/') || p.length < 2) {
    throw new RecoveryFlagsError(`--etcd-prefix ${JSON.stringify(prefix)} is not a key prefix`, {
      hint: "give kube-apiserver's --etcd-prefix, e.g. /registry",
    });
  }
  return p;
}

function decode(key: string, value: Buffer, rev: string): KubeObject {
  try {
    return decodeValue(key, value, rev) as KubeObject;
  } catch (err) {
    if (err instanceof UnreadableValueError) {
      throw new RecoveryUnreadableValueError(err.message, { hint: err.hint, cause: err });
    }
    throw err;
  }
}

async function readTls(opts: EtcdSourceOptions): Promise<EtcdTls | undefined> {
  if (opts.tls) return opts.tls;
  const https = opts.endpoints.filter((e) => e.startsWith('https://')).length;
  if (https !== 0 && https !== opts.endpoints.length)
    throw new RecoveryFlagsError(
      `--etcd-servers mixes http:// and https:// URLs: ${opts.endpoints.join(', ')}`,
    );
  if (Boolean(opts.certFile) !== Boolean(opts.keyFile))
    throw new RecoveryFlagsError('--etcd-certificate-path and --etcd-private-key-path go together', {
      hint: 'give both, or neither',
    });
  if (https === 0) {
    if (opts.caFile || opts.certFile)
      throw new RecoveryFlagsError('the etcd TLS flags need https:// --etcd-servers', {
        hint: 'use https:// URLs, or drop the TLS flags',
      });
    return undefined;
  }
  if (!opts.caFile)
    throw new RecoveryFlagsError('https:// --etcd-servers need --etcd-ca-path', {
      hint: "give the CA of etcd's serving certificate",
    });
  const read = async (path: string, flag: string) => {
    try {
      return await readFile(path);
    } catch (cause) {
      throw new RecoveryFlagsError(`${flag} ${path}: cannot be read (${(cause as Error).message})`, {
        cause,
      });
    }
  };
  return {
    ca: await read(opts.caFile, '--etcd-ca-path'),
    cert: opts.certFile ? await read(opts.certFile, '--etcd-certificate-path') : undefined,
    key: opts.keyFile ? await read(opts.keyFile, '--etcd-private-key-path') : undefined,
  };
}

function unreachable(opts: EtcdSourceOptions, where: string) {
  return (err: unknown): never => {
    const e = toStorageError(err, opts.endpoints, { what: 'read' });
    const detail = e.message
      .replace(`etcd at ${opts.endpoints.join(', ')} is `, '')
      .replace('unavailable: read: ', '');
    throw new RecoverySourceUnreachableError(`cannot read ${where}: ${detail}`, {
      hint: e.hint ?? 'check --etcd-servers and the etcd TLS flags',
      cause: err,
    });
  };
}
