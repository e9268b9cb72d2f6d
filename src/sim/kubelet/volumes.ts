/**
 * What a pod's volumes and environment need from the API before its containers can start
 * (reference §1.10, §1.11): one reflector per referenced Secret and ConfigMap (the watch-based
 * manager's `fieldSelector=metadata.name=<name>` in the pod's namespace, 30-minute watches,
 * shared by reference count, stopped for immutable objects), and a TokenRequest per projected
 * service-account token, refreshed at 80 % of its life. A missing non-optional object fails the
 * mount (FailedMount) until it appears, as the volume manager retries it.
 */
import type { ApiClient } from './api-client.js';
import type { Clock, Timer } from './clock.js';
import { Reflector, type Obj } from './reflector.js';
import { removePodVolumes, writePodVolumes, type VolumeSources } from './volume-files.js';

type Kind = 'secrets' | 'configmaps';

interface Watched {
  refs: number;
  stop: AbortController;
  reflector: Reflector;
  object?: Obj;
}

/** The names of `kind` a pod references, each with whether the reference is optional. */
export function referencedNames(pod: Obj, kind: Kind): Map<string, boolean> {
  const out = new Map<string, boolean>();
  const add = (name: string | undefined, optional?: boolean) => {
    if (name) out.set(name, (out.get(name) ?? true) && !!optional);
  };
  const spec = pod.spec ?? {};
  if (kind === 'secrets') for (const s of spec.imagePullSecrets ?? []) add(s.name, true);
  const containers: Obj[] = [
    ...(spec.initContainers ?? []),
    ...(spec.containers ?? []),
    ...(spec.ephemeralContainers ?? []),
  ];
  for (const c of containers) {
    for (const e of c.env ?? []) {
      const ref = kind === 'secrets' ? e.valueFrom?.secretKeyRef : e.valueFrom?.configMapKeyRef;
      if (ref) add(ref.name, ref.optional);
    }
    for (const e of c.envFrom ?? []) {
      const ref = kind === 'secrets' ? e.secretRef : e.configMapRef;
      if (ref) add(ref.name, ref.optional);
    }
  }
  for (const v of spec.volumes ?? []) {
    if (kind === 'secrets' && v.secret) add(v.secret.secretName, v.secret.optional);
    if (kind === 'configmaps' && v.configMap) add(v.configMap.name, v.configMap.optional);
    for (const src of v.projected?.sources ?? []) {
      const ref = kind === 'secrets' ? src.secret : src.configMap;
      if (ref) add(ref.name, ref.optional);
    }
  }
  return out;
}

export class VolumeManager {
  private readonly watched = new Map<string, Watched>();
  private readonly tokens = new Map<string, { at: number; token?: string; refresh?: Timer }>();
  /** Pods whose volumes are on disk, by UID: rewritten when an object they use changes. */
  private readonly mounted = new Map<string, Obj>();

  constructor(
    private readonly client: ApiClient,
    private readonly clock: Clock,
    private readonly signal: AbortSignal,
    /** Where the node's files live (the volumes are written under it); none: nothing is written. */
    private readonly hostPath?: (path: string) => string,
    private readonly rootCa?: string,
  ) {}

  private sources(pod: Obj): VolumeSources {
    const ns = pod.metadata.namespace;
    return {
      secret: (name) => this.watched.get(`secrets/${ns}/${name}`)?.object,
      configMap: (name) => this.watched.get(`configmaps/${ns}/${name}`)?.object,
      token: (volume, audience) => this.tokens.get(`${pod.metadata.uid}/${volume}/${audience ?? ''}`)?.token,
      rootCa: this.rootCa,
    };
  }

  /** Writes the pod's volumes to disk (emptyDirs only for a static pod). */
  private async write(pod: Obj, onlyLocal = false): Promise<void> {
    if (!this.hostPath) return;
    await writePodVolumes(pod, this.hostPath, this.sources(pod), onlyLocal);
    if (!onlyLocal) this.mounted.set(pod.metadata.uid, pod);
  }

  /** A static pod's local volumes (emptyDir): it references no API objects. */
  async setUpLocal(pod: Obj): Promise<void> {
    await this.write(pod, true).catch(() => undefined);
  }

  /** Removes a gone pod's volume files. */
  async tearDown(uid: string): Promise<void> {
    this.mounted.delete(uid);
    if (this.hostPath) await removePodVolumes(uid, this.hostPath).catch(() => undefined);
  }

  /** RegisterPod: starts (or shares) the reflectors of every object the pod references. */
  register(pod: Obj): void {
    for (const kind of ['secrets', 'configmaps'] as const) {
      for (const name of referencedNames(pod, kind).keys()) {
        const key = `${kind}/${pod.metadata.namespace}/${name}`;
        const w = this.watched.get(key);
        if (w) {
          w.refs++;
          continue;
        }
        this.watched.set(key, this.start(kind, pod.metadata.namespace, name));
      }
    }
  }

  /** UnregisterPod: drops the pod's references; a reflector nobody needs stops. */
  unregister(pod: Obj): void {
    for (const kind of ['secrets', 'configmaps'] as const) {
      for (const name of referencedNames(pod, kind).keys()) {
        const key = `${kind}/${pod.metadata.namespace}/${name}`;
        const w = this.watched.get(key);
        if (w && --w.refs <= 0) {
          w.stop.abort();
          this.watched.delete(key);
        }
      }
    }
    for (const [k, t] of this.tokens) {
      if (k.startsWith(`${pod.metadata.uid}/`)) {
        t.refresh?.cancel();
        this.tokens.delete(k);
      }
    }
  }

  private start(kind: Kind, namespace: string, name: string): Watched {
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    this.signal.addEventListener('abort', onAbort, { once: true });
    const w: Watched = { refs: 1, stop, reflector: undefined as unknown as Reflector };
    const set = (o: Obj | undefined) => {
      const changed =
        w.object !== undefined &&
        o !== undefined &&
        w.object.metadata?.resourceVersion !== o.metadata?.resourceVersion;
      w.object = o;
      // The kubelet's periodic resync rewrites the files of every pod that uses a changed object.
      if (changed) {
        for (const pod of this.mounted.values()) {
          if (pod.metadata.namespace === namespace && referencedNames(pod, kind).has(name))
            void this.write(pod).catch(() => undefined);
        }
      }
      // An immutable object never changes: the manager stops watching it.
      if (o?.immutable === true) stop.abort();
    };
    w.reflector = new Reflector({
      client: this.client,
      clock: this.clock,
      path: `/api/v1/namespaces/${namespace}/${kind}`,
      fieldSelector: `metadata.name=${name}`,
      minWatchTimeoutS: 1800,
      onReplace: (items) => set(items[0]),
      onEvent: (type, o) => set(type === 'DELETED' ? undefined : o),
      signal: stop.signal,
    });
    void w.reflector.run().finally(() => this.signal.removeEventListener('abort', onAbort));
    return w;
  }

  /** Whether the pod's volumes can be set up now; otherwise the FailedMount message. */
  async setUp(pod: Obj): Promise<string | undefined> {
    for (const kind of ['secrets', 'configmaps'] as const) {
      for (const [name, optional] of referencedNames(pod, kind)) {
        const w = this.watched.get(`${kind}/${pod.metadata.namespace}/${name}`);
        // The watch-based store's Get waits up to a second for the reflector's first list.
        for (
          let waited = 0;
          w && !w.reflector.hasSynced && waited < 1000 && !this.signal.aborted;
          waited += 10
        ) {
          await this.clock.sleep(10, this.signal).catch(() => undefined);
        }
        if (!w?.reflector.hasSynced)
          return `failed to sync ${kind === 'secrets' ? 'secret' : 'configmap'} cache: timed out waiting for the condition`;
        if (!w.object && !optional)
          return `${kind === 'secrets' ? 'secret' : 'configmap'} "${name}" not found`;
      }
    }
    for (const v of (pod.spec?.volumes ?? []) as Obj[]) {
      for (const src of v.projected?.sources ?? []) {
        if (!src.serviceAccountToken) continue;
        const err = await this.token(pod, v.name, src.serviceAccountToken);
        if (err) return `MountVolume.SetUp failed for volume "${v.name}" : failed to fetch token: ${err}`;
      }
    }
    try {
      await this.write(pod);
    } catch (err) {
      return `MountVolume.SetUp failed: ${(err as Error).message}`;
    }
    return undefined;
  }

  private async token(pod: Obj, volume: string, proj: Obj): Promise<string | undefined> {
    const key = `${pod.metadata.uid}/${volume}/${proj.audience ?? ''}`;
    if (this.tokens.has(key)) return undefined;
    const issued = await this.requestToken(pod, proj);
    if (issued.error) return issued.error;
    const t: { at: number; token?: string; refresh?: Timer } = { at: this.clock.now(), token: issued.token };
    this.tokens.set(key, t);
    const ttl = (proj.expirationSeconds ?? 3607) * 1000;
    // The token manager refreshes a token past 80 % of its life (or 24 h).
    const schedule = () => {
      t.refresh = this.clock.after(Math.min(ttl * 0.8, 86_400_000), async () => {
        if (!this.tokens.has(key) || this.signal.aborted) return;
        const again = await this.requestToken(pod, proj);
        if (again.token) {
          t.token = again.token;
          await this.write(pod).catch(() => undefined);
        }
        schedule();
      });
    };
    schedule();
    return undefined;
  }

  private async requestToken(pod: Obj, proj: Obj): Promise<{ token?: string; error?: string }> {
    const sa = pod.spec?.serviceAccountName || 'default';
    const body = {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec: {
        audiences: proj.audience ? [proj.audience] : null,
        ...(proj.expirationSeconds ? { expirationSeconds: proj.expirationSeconds } : {}),
        boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: pod.metadata.name, uid: pod.metadata.uid },
      },
      status: { token: '', expirationTimestamp: null },
    };
    const r = await this.client.request(
      'kube',
      'POST',
      `/api/v1/namespaces/${pod.metadata.namespace}/serviceaccounts/${sa}/token`,
      { body },
    );
    return r.status === 201 || r.status === 200
      ? { token: r.body?.status?.token }
      : { error: String(r.body?.message ?? r.status ?? r.error?.message) };
  }

  stopAll(): void {
    for (const w of this.watched.values()) w.stop.abort();
    this.watched.clear();
    for (const t of this.tokens.values()) t.refresh?.cancel();
    this.tokens.clear();
  }
}
