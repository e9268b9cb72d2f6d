/**
 * Mirror pods (pkg/kubelet/pod/mirror_client.go, reference §1.7): the API's copy of each static
 * pod, so the rest of the cluster sees it. Created as the static pod plus the annotation
 * `kubernetes.io/config.mirror: <config.hash>` and a controller owner reference to the Node, which
 * needs the Node's UID from the node informer (no Node, no mirror pod). An existing pod with the
 * same hash is accepted; a mirror of another hash, or one being deleted, is deleted (grace 0, UID
 * precondition) and made again; a mirror whose static pod is gone is deleted. Failures are retried
 * on the next sync.
 */
import type { ApiClient } from './api-client.js';
import { CONFIG_HASH, CONFIG_MIRROR, isMirrorPod } from './static-pods.js';

export type Obj = Record<string, any>;

export interface MirrorPodOptions {
  client: ApiClient;
  nodeName: string;
  nodeUid(): string | undefined;
  /** The API pods bound to this node as the pod informer has them (mirror pods included). */
  apiPods(): Obj[];
  onError?(line: string): void;
}

export class MirrorPods {
  private running?: Promise<void>;
  private again = false;

  constructor(private readonly o: MirrorPodOptions) {}

  /** Brings the mirror pods in line with `staticPods`; concurrent calls collapse. */
  sync(staticPods: () => Obj[]): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.once(staticPods());
      } while (this.again);
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  private async once(statics: Obj[]): Promise<void> {
    const nodeUid = this.o.nodeUid();
    if (!nodeUid) return;
    const mirrors = new Map<string, Obj>();
    for (const p of this.o.apiPods())
      if (isMirrorPod(p)) mirrors.set(`${p.metadata.namespace}/${p.metadata.name}`, p);
    for (const sp of statics) {
      const key = `${sp.metadata.namespace}/${sp.metadata.name}`;
      const mirror = mirrors.get(key);
      mirrors.delete(key);
      const hash = sp.metadata.annotations?.[CONFIG_HASH];
      if (
        mirror &&
        !mirror.metadata.deletionTimestamp &&
        mirror.metadata.annotations?.[CONFIG_MIRROR] === hash
      )
        continue;
      if (mirror) await this.remove(mirror);
      if (mirror?.metadata.deletionTimestamp) continue; // wait for it to go before making a new one
      await this.create(sp, hash, nodeUid);
    }
    for (const orphan of mirrors.values()) if (!orphan.metadata.deletionTimestamp) await this.remove(orphan);
  }

  private async create(sp: Obj, hash: string, nodeUid: string): Promise<void> {
    const body = structuredClone(sp);
    body.apiVersion = 'v1';
    body.kind = 'Pod';
    body.metadata.annotations = { ...(body.metadata.annotations ?? {}), [CONFIG_MIRROR]: hash };
    body.metadata.ownerReferences = [
      { apiVersion: 'v1', kind: 'Node', name: this.o.nodeName, uid: nodeUid, controller: true },
    ];
    const r = await this.o.client.request(
      'kube',
      'POST',
      `/api/v1/namespaces/${sp.metadata.namespace}/pods`,
      { body },
    );
    if (r.status === 201 || r.status === 200) return;
    if (r.status === 409) return; // AlreadyExists: the informer will show it, and the next sync checks its hash
    this.o.onError?.(
      `failed creating a mirror pod for ${sp.metadata.namespace}/${sp.metadata.name}: ${r.body?.message ?? r.status ?? r.error?.message}`,
    );
  }

  private async remove(mirror: Obj): Promise<void> {
    const { namespace, name, uid } = mirror.metadata;
    // Deleted at once (grace 0): a mirror pod has nothing of its own to stop.
    const body = { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0, preconditions: { uid } };
    const r = await this.o.client.request('kube', 'DELETE', `/api/v1/namespaces/${namespace}/pods/${name}`, {
      body,
    });
    if (r.status !== 200 && r.status !== 404 && r.status !== 409)
      this.o.onError?.(`failed deleting mirror pod ${namespace}/${name}: ${r.status}`);
  }
}
