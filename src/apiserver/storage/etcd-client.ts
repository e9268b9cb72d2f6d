/**
 * The etcd3 client as this project needs it, and the translation of its errors into StorageErrors.
 *
 * etcd3 defaults that do not fit an API server, and what replaces them:
 * - No deadline on calls, and `dialTimeout` is documented but never read: an unreachable etcd
 *   would hang every request. Every unary call gets a deadline (`defaultCallOptions`).
 * - A circuit breaker per host that, after 3 failures, fails every call for 5 s without trying:
 *   after an etcd restart the API would stay down 5 s longer. Replaced by a pass-through.
 * - A global retry (3 attempts) on any "recoverable" error, writes included: a compare-and-swap
 *   whose reply was lost would be retried and then report a conflict with itself. Replaced by one
 *   retry per further endpoint, only when no connection could be made (the request was never sent).
 * - gRPC's 4 MiB receive limit, which a list of a few thousand pods exceeds; kube-apiserver lifts it.
 * Keepalive pings (30 s, 10 s timeout, as kube-apiserver's etcd client) notice a dead peer under a
 * quiet watch.
 */
import { Etcd3, isRecoverableError, type IKeyValue, type IOptions } from 'etcd3';
import {
  ExpiredError,
  InternalStorageError,
  RevisionTooLargeError,
  StorageError,
  UnavailableError,
} from './errors.js';
import type { RawKv } from './kv.js';

export interface EtcdTls {
  /** PEM of the CA that signed etcd's serving certificate. */
  ca: Buffer;
  /** PEM client certificate and key, when etcd requires client certificates. */
  cert?: Buffer;
  key?: Buffer;
}

export interface EtcdClientOptions {
  /** `https://10.0.0.10:2379`, … (`http://` without TLS). */
  endpoints: readonly string[];
  tls?: EtcdTls;
  /** Deadline of each request (default 5000 ms); a stopped etcd is reported sooner. */
  requestTimeoutMs?: number;
}

type Policy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;

/** An etcd3 client with deadlines, no circuit breaker and safe retries (see the header). */
export function createEtcdClient(opts: EtcdClientOptions): Etcd3 {
  const timeout = opts.requestTimeoutMs ?? 5000;
  const endpoints = [...opts.endpoints];
  return new Etcd3({
    hosts: endpoints,
    credentials: opts.tls && {
      rootCertificate: opts.tls.ca,
      certChain: opts.tls.cert,
      privateKey: opts.tls.key,
    },
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeout }),
    grpcOptions: {
      'grpc.max_receive_message_length': 2 ** 31 - 1,
      'grpc.max_send_message_length': 2 ** 31 - 1,
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 2000,
    },
    faultHandling: {
      host: () => passThrough,
      global: retryUnsent(endpoints.length),
    },
  });
}

// Structural stand-ins for cockatiel policies: etcd3 only ever calls execute(fn).
const passThrough = {
  execute: <T>(fn: (ctx: unknown) => PromiseLike<T> | T) => Promise.resolve().then(() => fn({})),
} as unknown as Policy;

function retryUnsent(attempts: number): Policy {
  return {
    async execute<T>(fn: (ctx: unknown) => PromiseLike<T> | T): Promise<T> {
      for (let attempt = 1; ; attempt++) {
        try {
          return await fn({ attempt });
        } catch (err) {
          if (attempt >= attempts || !neverSent(err)) throw err;
        }
      }
    },
  } as unknown as Policy;
}

function neverSent(err: unknown): boolean {
  return (
    err instanceof Error &&
    isRecoverableError(err) &&
    /No connection established|ECONNREFUSED/.test(err.message)
  );
}

/** What to say about a failed call: the request's subject (`get /registry/pods/a`) and, for EXPIRED, the revision. */
export interface ErrorContext {
  what: string;
  revision?: string;
}

/** Any error from the etcd3 client as a StorageError. */
export function toStorageError(err: unknown, endpoints: readonly string[], ctx: ErrorContext): StorageError {
  if (err instanceof StorageError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown })?.code;
  if (message.includes('required revision has been compacted')) {
    return new ExpiredError(ctx.revision ?? 'unknown', undefined, ctx.what);
  }
  if (message.includes('required revision is a future revision')) {
    return new RevisionTooLargeError(ctx.revision ?? 'unknown', undefined);
  }
  const detail = `${ctx.what}: ${oneLine(message)}`;
  if (/certificate|SSL|TLS|handshake|self.signed|altnames/i.test(message)) {
    return new UnavailableError(endpoints, detail, {
      cause: err,
      hint: "etcd's TLS was refused: check the etcd CA, the client certificate and key, and that etcd's certificate names the endpoint's address",
    });
  }
  if (
    code === 16 ||
    code === 7 ||
    /permission denied|authentication failed|invalid auth token/.test(message)
  ) {
    return new UnavailableError(endpoints, detail, {
      cause: err,
      hint: 'etcd refused the client identity: check the client certificate (its CN is the etcd user when etcd auth is on)',
    });
  }
  if (
    code === 14 ||
    code === 4 ||
    code === 1 ||
    (err instanceof Error && isRecoverableError(err)) ||
    /UNAVAILABLE|DEADLINE_EXCEEDED|ECONNREFUSED|was already closed|etcdserver: (request timed out|no leader|leader changed|too many requests|server stopped)/.test(
      message,
    )
  ) {
    return new UnavailableError(endpoints, detail, { cause: err });
  }
  return new InternalStorageError(`etcd at ${endpoints.join(', ')} failed: ${detail}`, { cause: err });
}

// gRPC's messages carry a timestamp, an empty "Resolution note" and OpenSSL's error-stack syntax;
// keep what a user can act on ("sslv3 alert bad certificate").
function oneLine(s: string): string {
  return s
    .replace(/[0-9A-F]{8,}:error:[0-9A-F]+:SSL routines:[^:]*:([^:]+):\S+:\d+:SSL alert number \d+/g, '$1')
    .replace(/\s*\(\d{4}-\d\d-\d\dT[^)]*\)/g, '')
    .replace(/\.?\s*Resolution note:.*$/s, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** etcd's range end for "every key starting with prefix": the prefix with its last byte incremented. */
export function prefixEnd(prefix: string): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // every key: only for an all-0xff prefix, which no caller has
}

/** An etcd3 key-value as the Kv layer's RawKv. */
export function rawKv(kv: IKeyValue): RawKv {
  return {
    key: kv.key.toString(),
    value: kv.value,
    createRevision: kv.create_revision,
    modRevision: kv.mod_revision,
  };
}
