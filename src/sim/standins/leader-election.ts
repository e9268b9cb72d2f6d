/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection package runs it
 * (tools/leaderelection/leaderelection.go): a candidate acquires the Lease when it is absent, free,
 * or not renewed for leaseDuration *as observed on the candidate's own clock* (the record's times
 * are never compared across machines); the leader renews every retryPeriod and steps down when it
 * could not renew for renewDeadline. acquireTime/renewTime are MicroTimes with six fractional
 * digits (Go rejects fewer); leaseTransitions counts changes of holder.
 */
import { isApiStatus } from './errors.js';
import type { KObj, KubeClient } from './client/client.js';
import { sleep } from './client/informer.js';

export interface LeaseRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: string;
  renewTime: string;
  leaseTransitions: number;
}

/** Where the Lease lives; the real one is the API, tests may use a map. */
export interface LeaseStore {
  get(signal: AbortSignal): Promise<KObj | undefined>;
  create(lease: KObj, signal: AbortSignal): Promise<KObj>;
  update(lease: KObj, signal: AbortSignal): Promise<KObj>;
}

export interface Clock {
  /** Milliseconds since the epoch, with a fraction (for the microseconds of a MicroTime). */
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  sleep,
};

export interface LeaderElectionConfig {
  lock: LeaseStore;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  /** Give the Lease up on cancel (kube-scheduler does; kube-controller-manager does not); asked when it happens. */
  releaseOnCancel?: boolean | (() => boolean);
  clock?: Clock;
  /** Multiplies each acquire wait by 1 + rand·jitter (client-go's JitterFactor is 1.2); 0 in tests. */
  jitter?: number;
  log?: (line: string) => void;
  /** Runs while this candidate leads; `signal` aborts when leadership ends. */
  onStartedLeading(signal: AbortSignal): void;
  onNewLeader?(identity: string): void;
}

/** Go's metav1.MicroTime: RFC 3339 in UTC with exactly six fractional digits. */
export function microTime(ms: number): string {
  const whole = Math.floor(ms);
  // Rounded: epoch milliseconds carry only ~4 exact fractional digits as a double.
  const micros = Math.min(999, Math.round((ms - whole) * 1000));
  const iso = new Date(whole).toISOString(); // …T12:34:56.789Z
  return `${iso.slice(0, 23)}${String(micros).padStart(3, '0')}Z`;
}

/** The Lease kept in kube-system (or wherever) through the API. */
export function apiLeaseStore(client: KubeClient, namespace: string, name: string): LeaseStore {
  const base = `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`;
  return {
    async get(signal) {
      try {
        return await client.get(`${base}/${name}`, signal);
      } catch (err) {
        if (isApiStatus(err, 404)) return undefined;
        throw err;
      }
    },
    create: (lease, signal) =>
      client.create(base, { ...lease, metadata: { ...lease.metadata, name, namespace } }, signal),
    update: (lease, signal) => client.update(`${base}/${name}`, lease, signal),
  };
}

/**
 * Campaigns until `signal` aborts or leadership is lost: resolves 'lost' when this candidate led
 * and could not renew (the real components then exit), 'cancelled' when `signal` ended it.
 */
export async function runLeaderElection(
  cfg: LeaderElectionConfig,
  signal: AbortSignal,
): Promise<'lost' | 'cancelled'> {
  const le = new Elector(cfg);
  if (!(await le.acquire(signal))) return 'cancelled';
  const leading = new AbortController();
  cfg.onStartedLeading(leading.signal);
  const outcome = await le.renew(signal);
  leading.abort();
  const release = typeof cfg.releaseOnCancel === 'function' ? cfg.releaseOnCancel() : cfg.releaseOnCancel;
  if (outcome === 'cancelled' && release) await le.release();
  return outcome;
}

class Elector {
  private observed?: LeaseRecord;
  private observedRaw = '';
  private observedTime = 0;
  private lease?: KObj;
  private reportedLeader = '';
  private readonly clock: Clock;

  constructor(private readonly cfg: LeaderElectionConfig) {
    this.clock = cfg.clock ?? realClock;
  }

  private isLeader(): boolean {
    return this.observed?.holderIdentity === this.cfg.identity;
  }

  private isLeaseValid(now: number): boolean {
    return this.observedTime + (this.observed?.leaseDurationSeconds ?? 0) * 1000 > now;
  }

  async acquire(signal: AbortSignal): Promise<boolean> {
    const jitter = this.cfg.jitter ?? 1.2;
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew(signal)) {
        this.cfg.log?.(`successfully acquired lease as ${this.cfg.identity}`);
        return true;
      }
      await this.clock.sleep(this.cfg.retryPeriodMs * (1 + Math.random() * jitter), signal);
    }
    return false;
  }

  /** Renews every retryPeriod; a renewal that keeps failing for renewDeadline loses the lease. */
  async renew(signal: AbortSignal): Promise<'lost' | 'cancelled'> {
    while (!signal.aborted) {
      const deadline = this.clock.now() + this.cfg.renewDeadlineMs;
      let renewed = false;
      while (!signal.aborted && this.clock.now() < deadline) {
        if ((renewed = await this.tryAcquireOrRenew(signal))) break;
        await this.clock.sleep(this.cfg.retryPeriodMs, signal);
      }
      if (signal.aborted) return 'cancelled';
      if (!renewed) {
        this.cfg.log?.(`failed to renew lease as ${this.cfg.identity}: timed out; leaderelection lost`);
        return 'lost';
      }
      await this.clock.sleep(this.cfg.retryPeriodMs, signal);
    }
    return 'cancelled';
  }

  /** One attempt (client-go's tryAcquireOrRenew); false on any failure, which the loops retry. */
  private async tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const now = this.clock.now();
    const record: LeaseRecord = {
      holderIdentity: this.cfg.identity,
      leaseDurationSeconds: Math.max(1, Math.round(this.cfg.leaseDurationMs / 1000)),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    try {
      // Fast path: the leader updates the Lease it last wrote without reading it first.
      if (this.isLeader() && this.isLeaseValid(now) && this.lease) {
        record.acquireTime = this.observed!.acquireTime;
        record.leaseTransitions = this.observed!.leaseTransitions;
        try {
          this.lease = await this.cfg.lock.update(withSpec(this.lease, record), signal);
          this.observe(record, now);
          return true;
        } catch (err) {
          if (signal.aborted) return false;
          this.cfg.log?.(
            `failed to update lease optimistically: ${(err as Error).message}; falling back to slow path`,
          );
        }
      }
      const current = await this.cfg.lock.get(signal);
      if (!current) {
        this.lease = await this.cfg.lock.create(
          { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: {}, spec: record },
          signal,
        );
        this.observe(record, now);
        return true;
      }
      const old = recordOf(current);
      const raw = JSON.stringify(old);
      if (raw !== this.observedRaw) {
        this.observed = old;
        this.observedRaw = raw;
        this.observedTime = now;
        this.reportLeader(old.holderIdentity);
      }
      if (old.holderIdentity && this.isLeaseValid(now) && !this.isLeader()) return false;
      if (this.isLeader()) {
        record.acquireTime = old.acquireTime;
        record.leaseTransitions = old.leaseTransitions;
      } else {
        record.leaseTransitions = old.leaseTransitions + 1;
      }
      this.lease = await this.cfg.lock.update(withSpec(current, record), signal);
      this.observe(record, now);
      return true;
    } catch (err) {
      if (!signal.aborted) this.cfg.log?.(`error retrieving or updating lease: ${(err as Error).message}`);
      return false;
    }
  }

  private observe(record: LeaseRecord, now: number): void {
    this.observed = record;
    this.observedRaw = JSON.stringify(record);
    this.observedTime = now;
    this.reportLeader(record.holderIdentity);
  }

  private reportLeader(identity: string): void {
    if (identity === this.reportedLeader) return;
    this.reportedLeader = identity;
    if (identity) this.cfg.onNewLeader?.(identity);
  }

  /** Gives the Lease up: no holder, a 1 s duration, transitions kept (client-go's release()). */
  async release(): Promise<void> {
    if (!this.isLeader() || !this.lease) return;
    const now = this.clock.now();
    const record: LeaseRecord = {
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: this.observed!.leaseTransitions,
    };
    try {
      this.lease = await this.cfg.lock.update(
        withSpec(this.lease, record),
        AbortSignal.timeout(this.cfg.renewDeadlineMs),
      );
      this.observe(record, now);
    } catch (err) {
      this.cfg.log?.(`failed to release lease: ${(err as Error).message}`);
    }
  }
}

function withSpec(lease: KObj, record: LeaseRecord): KObj {
  return { ...lease, spec: { ...lease.spec, ...record } };
}

function recordOf(lease: KObj): LeaseRecord {
  const s = lease.spec ?? {};
  return {
    holderIdentity: s.holderIdentity ?? '',
    leaseDurationSeconds: s.leaseDurationSeconds ?? 0,
    acquireTime: s.acquireTime ?? '',
    renewTime: s.renewTime ?? '',
    leaseTransitions: s.leaseTransitions ?? 0,
  };
}
