/**
 * The Kv operations on etcd, as kube-apiserver's storage/etcd3/store.go issues them: creates and
 * updates are transactions comparing create_revision / mod_revision, reading the key back when the
 * compare fails so the caller learns why; deletes return the previous value; lists are ranges at one
 * revision. Watches are in etcd-watch.ts.
 */
import {
  CompareResult,
  CompareTarget,
  EtcdLeaseInvalidError,
  type Etcd3,
  type IKeyValue,
  type IRequestOp,
} from 'etcd3';
import {
  createEtcdClient,
  prefixEnd,
  rawKv,
  toStorageError,
  type EtcdClientOptions,
  type ErrorContext,
} from './etcd-client.js';
import { UnavailableError } from './errors.js';
import { LeaseCache } from './etcd-leases.js';
import { watchEtcd } from './etcd-watch.js';
import { EventQueue } from './event-queue.js';
import type { DeleteResult, Kv, RangeRequest, RangeResult, RawEvent, RawKv, WriteResult } from './kv.js';

/** The Kv layer on one etcd3 client; close() ends its watches and the client. */
export class EtcdKv implements Kv {
  private readonly client: Etcd3;
  private readonly endpoints: readonly string[];
  private readonly leases: LeaseCache;
  private readonly watches = new Set<EventQueue<RawEvent>>();
  private closed = false;

  constructor(opts: EtcdClientOptions) {
    this.endpoints = [...opts.endpoints];
    this.client = createEtcdClient(opts);
    this.leases = new LeaseCache(async (ttl) => (await this.client.leaseClient.leaseGrant({ TTL: ttl })).ID);
  }

  async range(req: RangeRequest): Promise<RangeResult> {
    const key = Buffer.from(req.exact ? req.prefix : (req.from ?? req.prefix));
    const res = await this.call(
      { what: `${req.exact ? 'get' : 'list'} ${req.prefix}`, revision: req.revision },
      () =>
        this.client.kv.range({
          key,
          range_end: req.exact ? undefined : prefixEnd(req.prefix),
          limit: req.limit ?? 0,
          revision: req.revision ?? 0,
        }),
    );
    // The header carries the store's current revision even for a read at an older one.
    const revision = req.revision ?? res.header.revision;
    return { kvs: res.kvs.map(rawKv), more: res.more, count: Number(res.count), revision };
  }

  async create(key: string, value: Buffer, ttlSeconds?: number): Promise<WriteResult> {
    return this.withLease(ttlSeconds, (lease) =>
      this.txn(
        `create ${key}`,
        key,
        {
          key: Buffer.from(key),
          target: CompareTarget.Create,
          result: CompareResult.Equal,
          create_revision: 0,
        },
        { request_put: { key: Buffer.from(key), value, lease } },
      ),
    );
  }

  async update(key: string, value: Buffer, expected: string, ttlSeconds?: number): Promise<WriteResult> {
    return this.withLease(ttlSeconds, (lease) =>
      this.txn(
        `update ${key}`,
        key,
        {
          key: Buffer.from(key),
          target: CompareTarget.Mod,
          result: CompareResult.Equal,
          mod_revision: expected,
        },
        // Without a new TTL the key keeps its lease: a plain put would detach it and the key would never expire.
        {
          request_put: {
            key: Buffer.from(key),
            value,
            ...(lease === undefined ? { ignore_lease: true } : { lease }),
          },
        },
      ),
    );
  }

  async delete(key: string, expected?: string): Promise<DeleteResult> {
    const del: IRequestOp = { request_delete_range: { key: Buffer.from(key), prev_kv: true } };
    const res = await this.call({ what: `delete ${key}` }, () =>
      this.client.kv.txn({
        compare:
          expected === undefined
            ? []
            : [
                {
                  key: Buffer.from(key),
                  target: CompareTarget.Mod,
                  result: CompareResult.Equal,
                  mod_revision: expected,
                },
              ],
        success: [del],
        failure: [{ request_range: { key: Buffer.from(key) } }],
      }),
    );
    if (!res.succeeded) return { ok: false, current: firstKv(res.responses[0]?.response_range?.kvs) };
    const prev = firstKv(res.responses[0]?.response_delete_range?.prev_kvs);
    if (!prev) return { ok: false, current: undefined };
    return { ok: true, revision: res.header.revision, prev };
  }

  watch(prefix: string, exact: boolean, fromRevision: string, signal: AbortSignal): AsyncIterable<RawEvent> {
    return watchEtcd(this.client, this.endpoints, this.watches, { prefix, exact, fromRevision, signal }, () =>
      this.assertOpen(),
    );
  }

  async currentRevision(): Promise<string> {
    const res = await this.call({ what: 'read the current revision' }, () =>
      this.client.kv.range({ key: Buffer.from([0]), count_only: true }),
    );
    return res.header.revision;
  }

  async compact(revision: string): Promise<void> {
    try {
      await this.call({ what: `compact to ${revision}`, revision }, () =>
        this.client.kv.compact({ revision, physical: true }),
      );
    } catch (err) {
      // Compacting to a revision already compacted is a no-op, as in the memory back end.
      if ((err as { code?: string }).code !== 'EXPIRED') throw err;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const queue of this.watches) queue.end();
    this.watches.clear();
    this.client.close();
  }

  private async txn(what: string, key: string, compare: object, put: IRequestOp): Promise<WriteResult> {
    const res = await this.call({ what }, () =>
      this.client.kv.txn({
        compare: [compare],
        success: [put],
        failure: [{ request_range: { key: Buffer.from(key) } }],
      }),
    );
    if (res.succeeded) return { ok: true, revision: res.header.revision };
    return { ok: false, current: firstKv(res.responses[0]?.response_range?.kvs) };
  }

  // A cached lease can vanish (revoked by an operator, etcd restored from a snapshot): forget it and
  // take a fresh one, once.
  private async withLease<T>(
    ttlSeconds: number | undefined,
    write: (lease: string | undefined) => Promise<T>,
  ): Promise<T> {
    if (ttlSeconds === undefined) return write(undefined);
    for (let attempt = 0; ; attempt++) {
      const lease = await this.call({ what: `grant a ${ttlSeconds}s lease` }, () =>
        this.leases.leaseFor(ttlSeconds),
      );
      try {
        return await write(lease);
      } catch (err) {
        if (attempt > 0 || !((err as Error).cause instanceof EtcdLeaseInvalidError)) throw err;
        this.leases.forget(lease);
      }
    }
  }

  private async call<T>(ctx: ErrorContext, fn: () => Promise<T>): Promise<T> {
    this.assertOpen();
    try {
      return await fn();
    } catch (err) {
      throw toStorageError(err, this.endpoints, ctx);
    }
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new UnavailableError(this.endpoints, 'the storage is closed', {
        hint: 'a closed storage is not reopened',
      });
    }
  }
}

function firstKv(kvs: IKeyValue[] | undefined): RawKv | undefined {
  return kvs && kvs.length > 0 ? rawKv(kvs[0]!) : undefined;
}
