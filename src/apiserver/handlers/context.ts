/**
 * What every handler works with: the server-wide context (storage, registry, watch caches, mode)
 * and one request's scope (the resource, namespace, name, user and negotiated output).
 */
import type { KeyObject } from 'node:crypto';
import type { UserInfo } from '../auth/index.js';
import type { Registry, ResourceInfo } from '../registry/index.js';
import type { RequestInfo } from '../router.js';
import type { GroupResource } from '../status.js';
import type { Storage } from '../storage/index.js';
import type { WatchCaches } from '../watch/index.js';
import type { Output } from './content.js';
import type { ApiRequest } from './types.js';

export interface WatchSettings {
  /** How often a watch that allows bookmarks gets one. */
  bookmarkIntervalMs: number;
  /** Unread bytes after which a slow watcher is cut off. */
  maxBufferedBytes: number;
  /** Events kept per resource for resuming watches. */
  cacheCapacity: number;
  /** The watch timeout when the client gives none (kube-apiserver: --min-request-timeout 1800 s, ×1..2). */
  defaultTimeoutSeconds: number;
}

export interface ServerContext {
  mode: 'bootstrap' | 'standalone';
  /** Bootstrap mode: the node served besides system:masters. */
  nodeName?: string;
  registry: Registry;
  /** Where objects live (etcd in kube-apiserver's layout, or memory). */
  storage: Storage;
  /** Where events live: in bootstrap mode a memory store (DESIGN §4), otherwise `storage`. */
  eventStorage: Storage;
  /** The watch caches of a storage (one set per storage). */
  caches(storage: Storage): WatchCaches;
  /** The service network, `10.3.0.0/24`. */
  serviceCidr: string;
  clusterDomain: string;
  /** The service-account token issuer, `https://kubernetes.default.svc.<domain>`. */
  issuer: string;
  /** The key TokenRequests are signed with; absent in bootstrap mode (no tokens are served). */
  serviceAccountKey?: KeyObject;
  /** The cluster CA (PEM) published as kube-root-ca.crt in standalone mode. */
  clusterCa?: string;
  gitVersion: string;
  watch: WatchSettings;
  /** Aborted when the server closes: ends watches and background work. */
  signal: AbortSignal;
  /** True once close() began: /readyz fails, so a hand-off sees the shim going. */
  isShuttingDown(): boolean;
  log: (line: string) => void;
}

export interface Scope {
  ctx: ServerContext;
  req: ApiRequest;
  info: RequestInfo;
  user: UserInfo;
  resource: ResourceInfo;
  /** For messages: `{group, resource}` of the URL. */
  gr: GroupResource;
  /** '' for cluster-scoped resources. */
  namespace: string;
  name: string;
  storage: Storage;
  output: Output;
}
