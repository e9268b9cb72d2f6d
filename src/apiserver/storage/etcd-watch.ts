/**
 * Watches on etcd through the raw Watch RPC, one gRPC stream per watch, rather than etcd3's
 * Watcher, which does not fit an API server:
 * - it reports a compacted start revision as a generic "Watcher canceled" error and drops the
 *   compact revision, which is exactly what a 410 needs;
 * - on reconnect it resumes from the revision in the last response header, which after the
 *   "created" response is the store's current revision, so events still in flight are skipped;
 * - it resumes silently forever while etcd is down, where the API should end the watch and let
 *   clients re-watch (from their last resourceVersion) and see etcd's state.
 * A stream per watch is what kube-apiserver's cacher-less watches cost too; gRPC multiplexes the
 * streams over one connection.
 */
import type { Etcd3, IKeyValue } from 'etcd3';
import { prefixEnd, rawKv, toStorageError } from './etcd-client.js';
import { ExpiredError, InternalStorageError, UnavailableError } from './errors.js';
import { EventQueue } from './event-queue.js';
import type { RawEvent } from './kv.js';

// The parts of grpc-js's ClientDuplexStream used here (etcd3 types it more narrowly).
interface WatchStream {
  write(req: unknown): void;
  end(): void;
  cancel(): void;
  pause(): void;
  resume(): void;
  on(event: string, fn: (arg: never) => void): WatchStream;
}

interface WatchResponse {
  canceled: boolean;
  compact_revision: string;
  cancel_reason: string;
  events: { type: string; kv: IKeyValue; prev_kv?: IKeyValue | null }[];
}

export interface EtcdWatchRequest {
  prefix: string;
  exact: boolean;
  /** Events strictly after this revision. */
  fromRevision: string;
  signal: AbortSignal;
}

/**
 * Events of req from etcd. Nothing happens until iteration starts; `live` holds the running
 * watches so close() can end them; `assertOpen` throws once the storage is closed.
 */
export function watchEtcd(
  client: Etcd3,
  endpoints: readonly string[],
  live: Set<EventQueue<RawEvent>>,
  req: EtcdWatchRequest,
  assertOpen: () => void,
): AsyncIterable<RawEvent> {
  return (async function* () {
    assertOpen();
    if (req.signal.aborted) return;
    const what = `watch of ${req.prefix}`;
    let stream: WatchStream | undefined;
    let finished = false;
    const queue: EventQueue<RawEvent> = new EventQueue<RawEvent>(req.signal, {
      onPause: () => stream?.pause(),
      onResume: () => stream?.resume(),
      onClose: () => {
        finished = true;
        live.delete(queue);
        // Half-close first: etcd3 treats an error on a still-writable stream as a failed host and
        // resets its connections; ours (CANCELLED) is expected.
        stream?.end();
        stream?.cancel();
      },
    });
    live.add(queue);
    try {
      stream = (await client.watchClient.watch()) as unknown as WatchStream;
    } catch (err) {
      live.delete(queue);
      throw toStorageError(err, endpoints, { what });
    }
    stream.on('data', (res: WatchResponse) => {
      if (res.canceled) {
        finished = true;
        // etcd 3.4 answers a compacted start revision with "created", then "canceled" carrying
        // compact_revision and no reason.
        queue.fail(
          res.compact_revision && res.compact_revision !== '0'
            ? new ExpiredError(req.fromRevision, res.compact_revision, what)
            : new InternalStorageError(
                `etcd canceled the ${what}: ${res.cancel_reason || 'no reason given'}`,
              ),
        );
        return;
      }
      for (const e of res.events) queue.push(rawEvent(e));
    });
    stream.on('error', (err: Error) => {
      if (!finished) queue.fail(toStorageError(err, endpoints, { what }));
      finished = true;
    });
    stream.on('end', () => {
      if (!finished) queue.fail(new UnavailableError(endpoints, `etcd ended the ${what}`));
      finished = true;
    });
    stream.write({
      create_request: {
        key: Buffer.from(req.prefix),
        range_end: req.exact ? undefined : prefixEnd(req.prefix),
        start_revision: (BigInt(req.fromRevision) + 1n).toString(),
        prev_kv: true,
      },
    });
    yield* queue;
  })();
}

function rawEvent(e: WatchResponse['events'][number]): RawEvent {
  const prevKv = e.prev_kv ? rawKv(e.prev_kv) : undefined;
  // etcd3's proto loader gives event types as names ('Put', 'Delete').
  return { type: String(e.type).toLowerCase() === 'delete' ? 'delete' : 'put', kv: rawKv(e.kv), prevKv };
}
