/**
 * The API shim's public API (DESIGN §4), for `bootkube shim`, `start` and the simulation's
 * stand-in apiserver: createApiServer() builds a Kubernetes-compatible HTTPS API server on a
 * storage; listen() binds it; close() hands the port over.
 */
import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { InputError } from '../errors.js';
import { DEFAULT_KUBERNETES_VERSION } from '../config/defaults.js';
import { createRegistry } from './registry/index.js';
import { MemoryStorage, type Storage } from './storage/index.js';
import { TrackedStorage, WatchCaches } from './watch/index.js';
import {
  createApiHandler,
  ensureObject,
  firstServiceIP,
  parseCidr,
  populateNamespace,
  SYSTEM_NAMESPACES,
  type ServerContext,
  type WatchSettings,
} from './handlers/index.js';
import { followCrds, syncCrds } from './handlers/crds.js';
import { buildApiServer, type ApiServer } from './server.js';

export {
  listen,
  buildApiServer,
  type ApiServer,
  type ListenOptions,
  type ApiServerOptions,
} from './server.js';
export type { ApiRequest, ApiResponse } from './handlers/index.js';
export { ApiError, Errors, type Status } from './status.js';

export interface CreateApiServerOptions {
  /** Where objects live: etcd in kube-apiserver's layout, or memory. The caller closes it. */
  storage: Storage;
  /** PEM: the apiserver's serving certificate and key (tls/apiserver.crt, .key). */
  tlsCert: string | Buffer;
  tlsKey: string | Buffer;
  /** PEM: the cluster CA client certificates are verified with (tls/ca.crt). */
  clientCa: string | Buffer;
  /** PEM: tls/service-account.key; TokenRequests are served only with it (not in bootstrap mode). */
  serviceAccountKey?: string | Buffer;
  /**
   * 'bootstrap': only `nodeName`'s kubelet and system:masters are served (others get 503), events
   * stay in memory, nothing is created at start. 'standalone': the full surface, with the system
   * namespaces and the `kubernetes` Service created at start as kube-apiserver does.
   */
  mode: 'bootstrap' | 'standalone';
  nodeName?: string;
  /** The service network (--service-cluster-ip-range); 10.3.0.0/24 by default. */
  serviceCidr?: string;
  /** cluster.local by default; the token issuer is https://kubernetes.default.svc.<domain>. */
  clusterDomain?: string;
  /** The token issuer, when not the default above (--service-account-issuer). */
  issuer?: string;
  /** /version's gitVersion. */
  gitVersion?: string;
  /** Diagnostics (stderr in `bootkube shim`). */
  log?: (line: string) => void;
  /** One line per request, when set (`--v=2`). */
  requestLog?: (line: string) => void;
  watch?: Partial<WatchSettings>;
}

export interface ShimServer extends ApiServer {
  /** The storage revision the server started at: watches from before it get 410. */
  readonly startRevision: string;
}

const DEFAULT_WATCH: WatchSettings = {
  bookmarkIntervalMs: 60_000,
  maxBufferedBytes: 16 * 1024 * 1024,
  cacheCapacity: 10_000,
  defaultTimeoutSeconds: 1800,
};

/** Builds the API server on opts.storage; nothing listens until listen(). */
export async function createApiServer(opts: CreateApiServerOptions): Promise<ShimServer> {
  if (opts.mode === 'bootstrap' && !opts.nodeName)
    throw new TypeError('bootstrap mode needs the node name it serves');
  const log = opts.log ?? (() => {});
  const stop = new AbortController();
  const watch = { ...DEFAULT_WATCH, ...opts.watch };
  // Bootstrap mode keeps events to itself: only what the hand-off needs goes to etcd (DESIGN §4).
  const ownEvents = opts.mode === 'bootstrap' ? new MemoryStorage() : undefined;
  const startRevision = await opts.storage.currentRevision();
  const eventStart = ownEvents ? await ownEvents.currentRevision() : startRevision;
  const cachesByStorage = new Map<Storage, WatchCaches>();
  // Every write goes through a TrackedStorage, so the caches know what a read must wait for.
  const tracked = (inner: Storage): Storage => {
    const s: Storage = new TrackedStorage(inner, (key, rev) => cachesByStorage.get(s)?.noteWrite(key, rev));
    return s;
  };
  const storage = tracked(opts.storage);
  const eventStorage = ownEvents ? tracked(ownEvents) : storage;
  let shuttingDown = false;
  const clusterDomain = opts.clusterDomain ?? 'cluster.local';
  const ctx: ServerContext = {
    mode: opts.mode,
    nodeName: opts.nodeName,
    registry: createRegistry(),
    storage,
    eventStorage,
    caches(of) {
      let c = cachesByStorage.get(of);
      if (!c) {
        c = new WatchCaches(of, {
          startRevision: of === storage ? startRevision : eventStart,
          capacity: watch.cacheCapacity,
          signal: stop.signal,
          log,
        });
        cachesByStorage.set(of, c);
      }
      return c;
    },
    serviceCidr: opts.serviceCidr ?? '10.3.0.0/24',
    clusterDomain,
    issuer: opts.issuer ?? `https://kubernetes.default.svc.${clusterDomain}`,
    serviceAccountKey:
      opts.mode === 'standalone' && opts.serviceAccountKey
        ? createPrivateKey(opts.serviceAccountKey)
        : undefined,
    clusterCa: opts.clientCa.toString(),
    gitVersion: opts.gitVersion ?? DEFAULT_KUBERNETES_VERSION,
    watch,
    signal: stop.signal,
    isShuttingDown: () => shuttingDown,
    log,
  };
  parseCidr(ctx.serviceCidr);
  const api = createApiHandler(ctx, opts.requestLog);
  await syncCrds(ctx);
  followCrds(ctx);
  if (opts.mode === 'standalone') await createSystemObjects(ctx, api.allocator);
  const server = buildApiServer({
    handle: api.handle,
    cert: opts.tlsCert,
    key: opts.tlsKey,
    clientCa: opts.clientCa,
    onClosing: () => {
      shuttingDown = true;
    },
    onClose: async () => {
      stop.abort();
      await ownEvents?.close();
    },
    log,
  });
  return Object.assign(server, { startRevision });
}

// What kube-apiserver's system namespaces controller and its "kubernetes" service reconciler make.
async function createSystemObjects(
  ctx: ServerContext,
  allocator: ReturnType<typeof createApiHandler>['allocator'],
): Promise<void> {
  for (const name of SYSTEM_NAMESPACES) {
    await ensureObject(ctx, '', 'namespaces', undefined, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name },
    });
    await populateNamespace(ctx, name);
  }
  const ip = firstServiceIP(parseCidr(ctx.serviceCidr));
  await allocator.withAllocation(() =>
    ensureObject(ctx, '', 'services', 'default', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'kubernetes',
        namespace: 'default',
        labels: { component: 'apiserver', provider: 'kubernetes' },
      },
      spec: {
        type: 'ClusterIP',
        clusterIP: ip,
        ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
        sessionAffinity: 'None',
      },
    }),
  );
}

/** An asset dir the shim cannot serve from: a file missing or unreadable. Exit code 2. */
export class ShimAssetsError extends InputError {
  readonly code = 'SHIM_ASSETS_INVALID';
}

export interface ShimAssets {
  tlsCert: string;
  tlsKey: string;
  clientCa: string;
  serviceAccountKey?: string;
  /** host and port of auth/kubeconfig's server: where the shim serves. */
  host: string;
  port: number;
  serviceCidr?: string;
  clusterDomain?: string;
  issuer?: string;
  /** The etcd client TLS files render made, when present (tls/etcd/ca.crt, tls/apiserver-etcd-client.*). */
  etcdTls?: { caFile: string; certFile: string; keyFile: string };
}

/** Reads what the shim serves with from a rendered asset dir (src/render/constants.ts TLS_PATHS). */
export async function loadShimAssets(assetDir: string): Promise<ShimAssets> {
  const read = async (rel: string, required = true): Promise<string | undefined> => {
    try {
      return await readFile(join(assetDir, rel), 'utf8');
    } catch (e) {
      if (!required && (e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
      throw new ShimAssetsError(`--asset-dir ${assetDir}: cannot read ${rel} (${why})`, {
        hint: 'give the directory `bootkube render` wrote',
      });
    }
  };
  const kubeconfig = (await read('auth/kubeconfig'))!;
  let server: URL;
  try {
    const doc = parseYaml(kubeconfig) as { clusters?: Array<{ cluster?: { server?: string } }> };
    server = new URL(String(doc.clusters?.[0]?.cluster?.server));
  } catch {
    throw new ShimAssetsError(`--asset-dir ${assetDir}: auth/kubeconfig names no server URL`, {
      hint: 'render the asset dir again',
    });
  }
  const flags = `${(await read('bootstrap-manifests/bootstrap-apiserver.yaml', false)) ?? ''}\n${(await read('manifests/kube-apiserver.yaml', false)) ?? ''}`;
  const flag = (name: string) => new RegExp(`--${name}=(\\S+)`).exec(flags)?.[1];
  const kubelet = (await read('kubelet/config.yaml', false)) ?? '';
  const etcdCa = join(assetDir, 'tls/etcd/ca.crt');
  const hasEtcdTls = (await read('tls/etcd/ca.crt', false)) !== undefined;
  return {
    tlsCert: (await read('tls/apiserver.crt'))!,
    tlsKey: (await read('tls/apiserver.key'))!,
    clientCa: (await read('tls/ca.crt'))!,
    serviceAccountKey: await read('tls/service-account.key', false),
    host: server.hostname.replace(/^\[|\]$/g, ''),
    port: Number(server.port || 443),
    serviceCidr: flag('service-cluster-ip-range')?.split(',')[0],
    issuer: flag('service-account-issuer'),
    clusterDomain: /^clusterDomain:\s*(\S+)/m.exec(kubelet)?.[1],
    etcdTls: hasEtcdTls
      ? {
          caFile: etcdCa,
          certFile: join(assetDir, 'tls/apiserver-etcd-client.crt'),
          keyFile: join(assetDir, 'tls/apiserver-etcd-client.key'),
        }
      : undefined,
  };
}
