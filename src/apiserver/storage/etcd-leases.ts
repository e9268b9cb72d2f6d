/**
 * etcd leases for keys with a TTL (events: 1 h), shared the way kube-apiserver's leaseManager
 * (apiserver storage/etcd3/lease_manager.go) shares them: a lease per TTL is reused while it still
 * outlives a new key's TTL, and is granted a little longer than asked (5 % of the TTL, at most 60 s)
 * so that it can be reused for that long. A key therefore lives between ttl and ttl + 5 %. One lease
 * per key instead would mean one lease (and one expiry timer in etcd) per event: thousands.
 * Leases are never kept alive: they are meant to expire.
 */

/** Leases attached to one lease before a new one is granted, as kube-apiserver's default. */
const MAX_ATTACHED = 1000;

interface Bucket {
  id: string;
  /** When etcd will revoke it (by our clock; etcd's own may run a little behind, never ahead). */
  expiresAt: number;
  attached: number;
}

export class LeaseCache {
  private readonly buckets = new Map<number, Bucket>();
  private readonly pending = new Map<number, Promise<Bucket>>();

  constructor(
    /** Grants a lease of ttlSeconds in etcd and returns its id. */
    private readonly grant: (ttlSeconds: number) => Promise<string>,
    private readonly now: () => number = Date.now,
  ) {}

  /** A lease id under which a key lives at least ttlSeconds. */
  async leaseFor(ttlSeconds: number): Promise<string> {
    for (;;) {
      const bucket = this.buckets.get(ttlSeconds);
      if (bucket && this.now() + ttlSeconds * 1000 < bucket.expiresAt && bucket.attached < MAX_ATTACHED) {
        bucket.attached++;
        return bucket.id;
      }
      // Concurrent writers wait for the one grant in flight instead of each granting a lease.
      let pending = this.pending.get(ttlSeconds);
      if (!pending) {
        pending = this.grantBucket(ttlSeconds).finally(() => this.pending.delete(ttlSeconds));
        this.pending.set(ttlSeconds, pending);
      }
      const granted = await pending;
      // A fresh lease outlives the TTL by construction; loop only if it filled up meanwhile.
      if (granted.attached < MAX_ATTACHED) {
        granted.attached++;
        return granted.id;
      }
    }
  }

  /** Stops handing out a lease etcd no longer knows (revoked by someone, or expired early). */
  forget(id: string): void {
    for (const [ttl, bucket] of this.buckets) if (bucket.id === id) this.buckets.delete(ttl);
  }

  private async grantBucket(ttlSeconds: number): Promise<Bucket> {
    const extra = Math.min(Math.floor(ttlSeconds * 0.05), 60);
    const start = this.now();
    const id = await this.grant(ttlSeconds + extra);
    const bucket = { id, expiresAt: start + (ttlSeconds + extra) * 1000, attached: 0 };
    this.buckets.set(ttlSeconds, bucket);
    return bucket;
  }
}
