/**
 * The kubelet's status manager (pkg/kubelet/status/status_manager.go, reference §1.6): it keeps
 * the latest status of each pod, with lastTransitionTime carried over while a condition keeps its
 * status, and syncs it: GET the pod (its mirror pod for a static pod), skip it when gone or of
 * another UID, merge (conditions the kubelet does not own stay, first), and PATCH the two-way
 * strategic merge patch with the UID precondition, unless it would carry nothing else. A pod being
 * deleted whose containers have all stopped is then deleted for good (grace 0, UID precondition).
 * Updates of one pod coalesce; failures are retried by the batch sync every 10 s.
 */
import { SMP_TYPE, type ApiClient } from './api-client.js';
import { rfc3339, type Clock } from './clock.js';
import { KUBELET_CONDITIONS } from './pod-status.js';
import { CONFIG_HASH, CONFIG_MIRROR } from './static-pods.js';
import { podStatusPatch } from './strategic-patch.js';

export type Obj = Record<string, any>;

const SYNC_BATCH_MS = 10_000;
const KUBELET_OWNED = new Set<string>(KUBELET_CONDITIONS);

interface Entry {
  /** The kubelet's pod (the static pod itself for a static pod). */
  pod: Obj;
  status: Obj;
  version: number;
  synced: number;
  isStatic: boolean;
  /** The pod is being deleted and all its containers have stopped: delete it once synced. */
  canBeDeleted: boolean;
  deleted: boolean;
}

export interface StatusManagerOptions {
  client: ApiClient;
  clock: Clock;
  signal: AbortSignal;
  /** The pod's status as the API last showed it (from the pod informer), when the manager has none. */
  apiStatus(uid: string): Obj | undefined;
  /** Whether the pod informer has a mirror pod for this static pod (else its status waits). */
  hasMirror(staticPod: Obj): boolean;
  onDeleted?(pod: Obj): void;
}

export class StatusManager {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly dirty = new Set<string>();

  constructor(private readonly o: StatusManagerOptions) {}

  /** Runs the periodic batch sync until the signal aborts. */
  async run(): Promise<void> {
    while (!this.o.signal.aborted) {
      await this.o.clock.sleep(SYNC_BATCH_MS, this.o.signal).catch(() => undefined);
      for (const [uid, e] of this.entries)
        if (e.synced < e.version || (e.canBeDeleted && !e.deleted)) this.schedule(uid);
    }
  }

  get(uid: string): Obj | undefined {
    return this.entries.get(uid)?.status;
  }

  /** Sets a pod's status as the kubelet now sees it; a sync follows if it changed. */
  setStatus(pod: Obj, generated: Obj, isStatic: boolean, canBeDeleted = false): void {
    const uid = pod.metadata.uid as string;
    const prev = this.entries.get(uid);
    const old = prev?.status ?? this.o.apiStatus(uid) ?? {};
    const now = rfc3339(this.o.clock.now());
    const status = structuredClone(generated);
    for (const c of status.conditions as Obj[]) {
      const before = (old.conditions ?? []).find((o: Obj) => o.type === c.type);
      c.lastTransitionTime =
        before && before.status === c.status && before.lastTransitionTime ? before.lastTransitionTime : now;
    }
    status.startTime = old.startTime ?? status.startTime ?? now;
    // normalizeStatus: container statuses sorted by name.
    status.containerStatuses?.sort((a: Obj, b: Obj) => String(a.name).localeCompare(String(b.name)));
    // A pod that reached a terminal phase never leaves it.
    if ((old.phase === 'Succeeded' || old.phase === 'Failed') && status.phase !== old.phase)
      status.phase = old.phase;
    const same =
      prev && JSON.stringify(prev.status) === JSON.stringify(status) && prev.canBeDeleted === canBeDeleted;
    if (same) return;
    this.entries.set(uid, {
      pod,
      status,
      version: (prev?.version ?? 0) + 1,
      synced: prev?.synced ?? 0,
      isStatic,
      canBeDeleted,
      deleted: prev?.deleted ?? false,
    });
    this.schedule(uid);
  }

  /** Forgets a pod (it is gone from the kubelet). */
  remove(uid: string): void {
    this.entries.delete(uid);
  }

  /** Syncs a pod soon; requests arriving while it syncs collapse into one more sync. */
  schedule(uid: string): void {
    if (this.inflight.has(uid)) {
      this.dirty.add(uid);
      return;
    }
    const p = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.syncPod(uid))
      .catch(() => undefined)
      .finally(() => {
        this.inflight.delete(uid);
        if (this.dirty.delete(uid) && !this.o.signal.aborted) this.schedule(uid);
      });
    this.inflight.set(uid, p);
  }

  /** Resolves once nothing is syncing (tests). */
  async idle(): Promise<void> {
    while (this.inflight.size) await Promise.all(this.inflight.values());
  }

  private async syncPod(uid: string): Promise<void> {
    const e = this.entries.get(uid);
    if (!e || this.o.signal.aborted || e.deleted) return;
    // "Static pod does not have a corresponding mirror pod; skipping."
    if (e.isStatic && !this.o.hasMirror(e.pod)) return;
    const version = e.version;
    const { namespace, name } = e.pod.metadata;
    const path = `/api/v1/namespaces/${namespace}/pods/${name}`;
    const got = await this.o.client.request('kube', 'GET', path);
    if (got.status === 404) return; // "Pod does not exist on the server": nothing to update
    if (got.status !== 200) return;
    const api = got.body as Obj;
    const hash = e.pod.metadata.annotations?.[CONFIG_HASH];
    const ours = e.isStatic ? api.metadata?.annotations?.[CONFIG_MIRROR] === hash : api.metadata?.uid === uid;
    if (!ours) return;
    const merged = mergePodStatus(api.status ?? {}, e.status);
    const patch = podStatusPatch(api.metadata.uid, api.status ?? {}, merged);
    if (patch) {
      const r = await this.o.client.request('kube', 'PATCH', `${path}/status`, {
        body: patch,
        contentType: SMP_TYPE,
      });
      if (r.status !== 200) return;
    }
    e.synced = Math.max(e.synced, version);
    if (!e.isStatic && e.canBeDeleted && api.metadata?.deletionTimestamp) {
      const body = {
        kind: 'DeleteOptions',
        apiVersion: 'v1',
        gracePeriodSeconds: 0,
        preconditions: { uid: api.metadata.uid },
      };
      const d = await this.o.client.request('kube', 'DELETE', path, { body });
      if (d.status === 200 || d.status === 404 || d.status === 409) {
        e.deleted = true;
        this.o.onDeleted?.(e.pod);
      }
    }
  }
}

/** mergePodStatus: the API's conditions the kubelet does not own, then the kubelet's own. */
export function mergePodStatus(apiStatus: Obj, ours: Obj): Obj {
  const foreign = (apiStatus.conditions ?? []).filter((c: Obj) => !KUBELET_OWNED.has(c.type));
  const merged: Obj = { ...ours, conditions: [...foreign, ...ours.conditions] };
  // Fields other components set and the kubelet carries over.
  if (apiStatus.nominatedNodeName) merged.nominatedNodeName = apiStatus.nominatedNodeName;
  return merged;
}
