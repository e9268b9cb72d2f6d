/**
 * The node lease controller (component-helpers apimachinery/lease/controller.go with the kubelet's
 * setNodeOwnerFunc, reference §1.4), on the heartbeat client: renew every 0.25 × 40 s = 10 s with
 * 4 % jitter, measured after each renewal (sliding). While the last renewal succeeded it PUTs the
 * object it got back, with no GET. Otherwise it ensures the lease: GET; on NotFound GET the Node
 * for the owner reference, and create the Lease only if that worked (else nothing until the next
 * interval); errors back off from 200 ms doubling to 7 s. A conflict re-reads; up to 5 tries.
 */
import { reasonOf, type ApiClient } from './api-client.js';
import { jitter, microTime, type Clock } from './clock.js';

export type Obj = Record<string, any>;

export const LEASE_DURATION_S = 40;
export const RENEW_INTERVAL_MS = LEASE_DURATION_S * 1000 * 0.25;
const MAX_BACKOFF_MS = 7000;
const MAX_UPDATE_RETRIES = 5;
const NAMESPACE = 'kube-node-lease';

export interface LeaseControllerOptions {
  client: ApiClient;
  clock: Clock;
  nodeName: string;
  signal: AbortSignal;
  random?: () => number;
  onRenewed?: (lease: Obj) => void;
  onRepeatedFailure?: () => void;
}

export class LeaseController {
  latest?: Obj;
  private readonly path: string;

  constructor(private readonly o: LeaseControllerOptions) {
    this.path = `/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases`;
  }

  /** Runs until the signal aborts. */
  async run(): Promise<void> {
    const { clock, signal } = this.o;
    while (!signal.aborted) {
      await this.sync();
      await clock.sleep(jitter(RENEW_INTERVAL_MS, 0.04, this.o.random), signal).catch(() => undefined);
    }
  }

  async sync(): Promise<void> {
    if (this.latest) {
      if (await this.retryUpdate(this.latest)) return;
    }
    const { lease, created } = await this.backoffEnsure();
    this.latest = lease;
    // A lease we just created needs no update; one that existed is renewed now.
    if (!created && lease) await this.retryUpdate(lease);
  }

  private newLease(base: Obj | undefined): Promise<Obj | undefined> | Obj | undefined {
    const lease: Obj = base
      ? structuredClone(base)
      : {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.o.nodeName, namespace: NAMESPACE },
          spec: { holderIdentity: this.o.nodeName, leaseDurationSeconds: LEASE_DURATION_S },
        };
    lease.apiVersion ??= 'coordination.k8s.io/v1';
    lease.kind ??= 'Lease';
    lease.spec.renewTime = microTime(this.o.clock.now());
    if ((lease.metadata.ownerReferences ?? []).length) return lease;
    // The owner reference needs the Node's UID; no Node, no owner reference this time.
    return this.o.client.request('heartbeat', 'GET', `/api/v1/nodes/${this.o.nodeName}`).then((r) => {
      if (r.status !== 200) return base ? lease : undefined;
      lease.metadata.ownerReferences = [
        { apiVersion: 'v1', kind: 'Node', name: this.o.nodeName, uid: r.body.metadata.uid },
      ];
      return lease;
    });
  }

  private async ensure(): Promise<{ lease?: Obj; created: boolean; error?: string }> {
    const r = await this.o.client.request('heartbeat', 'GET', `${this.path}/${this.o.nodeName}`);
    if (r.status === 404) {
      const toCreate = await this.newLease(undefined);
      if (!toCreate) return { created: false };
      const c = await this.o.client.request('heartbeat', 'POST', this.path, { body: toCreate });
      if (c.status === 201 || c.status === 200) return { lease: c.body, created: true };
      return { created: false, error: `create lease: ${c.status || c.error?.message}` };
    }
    if (r.status !== 200) return { created: false, error: `get lease: ${r.status || r.error?.message}` };
    return { lease: r.body, created: false };
  }

  private async backoffEnsure(): Promise<{ lease?: Obj; created: boolean }> {
    let sleep = 100;
    for (;;) {
      const r = await this.ensure();
      if (!r.error || this.o.signal.aborted) return r;
      sleep = Math.min(2 * sleep, MAX_BACKOFF_MS);
      await this.o.clock.sleep(sleep, this.o.signal).catch(() => undefined);
      if (this.o.signal.aborted) return { created: false };
    }
  }

  private async retryUpdate(base: Obj): Promise<boolean> {
    let current: Obj | undefined = base;
    for (let i = 0; i < MAX_UPDATE_RETRIES && !this.o.signal.aborted; i++) {
      const lease = current ? await this.newLease(current) : undefined;
      if (!lease) return false;
      const r = await this.o.client.request('heartbeat', 'PUT', `${this.path}/${this.o.nodeName}`, {
        body: lease,
      });
      if (r.status === 200) {
        this.latest = r.body;
        this.o.onRenewed?.(r.body);
        return true;
      }
      if (r.status === 409 || reasonOf(r) === 'Conflict') {
        current = (await this.backoffEnsure()).lease;
        continue;
      }
      if (i > 0) this.o.onRepeatedFailure?.();
    }
    this.latest = undefined;
    return false;
  }
}
