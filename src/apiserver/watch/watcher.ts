/**
 * One client's watch: a Readable of framed events fed from a watch cache, as the cacher's
 * cacheWatcher does it. It filters (an object that leaves the selection is DELETED, one that
 * enters is ADDED), sends bookmarks when asked, ends cleanly at timeoutSeconds, and is cut off when
 * the client reads too slowly for its buffer to stay under a bound: memory never grows with a
 * stalled client, and the client re-watches from its last resourceVersion.
 */
import { Readable } from 'node:stream';
import type { KubeObject } from '../storage/index.js';
import type { CacheEvent, CacheSubscriber, WatchCache } from './cache.js';
import { bookmarkObject, frameEvent, type WatchEventType } from './framing.js';
import { jsonOf } from './json.js';

export interface WatchRequest {
  cache: WatchCache;
  /** The client's resourceVersion: undefined or '0' start with the current state as ADDED events. */
  resourceVersion?: string;
  /** Keys must start with this (the namespace's prefix); '' for all. */
  keyPrefix: string;
  /** Label and field selection. */
  filter: (object: KubeObject) => boolean;
  /** The object written into each event (a Table row, or the object as it is). */
  transform: (object: KubeObject, type: WatchEventType) => unknown;
  /** transform is the identity: events carry the cache's JSON text of the object, made once for all watchers. */
  asStored?: boolean;
  /** Set when the client allows bookmarks: the watched kind. */
  bookmarks?: { apiVersion: string; kind: string };
  bookmarkIntervalMs: number;
  /** 0: no timeout. */
  timeoutMs: number;
  /** The client is cut off when this many bytes wait unread. */
  maxBufferedBytes: number;
  /** Ends the watch (the request is gone or the server stops). */
  signal: AbortSignal;
  /** The storage's current revision, to tell a resourceVersion from the future. */
  storageRevision: () => Promise<string>;
  /** ERROR events' Status objects for the two failures a watch start can have. */
  tooOld: (requested: string, oldest: string) => unknown;
  tooLarge: (requested: string, current: string) => unknown;
  log?: (line: string) => void;
}

/** Starts the watch; the Readable is what the server pipes to the client. */
export async function openWatch(req: WatchRequest): Promise<Readable> {
  await req.cache.whenReady();
  const out = new Readable({ read() {}, highWaterMark: 64 * 1024 });
  const rv = req.resourceVersion;
  const from = rv === undefined || rv === '0' ? undefined : BigInt(rv);
  if (from !== undefined && from > req.cache.currentRevision()) {
    const current = await waitForRevision(req, from);
    if (current !== undefined) {
      out.push(frameEvent('ERROR', req.tooLarge(rv!, current)));
      out.push(null);
      return out;
    }
  }

  let lastSent = from ?? 0n;
  const passes = (e: CacheEvent, o: KubeObject | undefined): boolean =>
    o !== undefined && e.key.startsWith(req.keyPrefix) && req.filter(o);
  // The initial state may be large and is sent at once; the bound applies to what comes on top of it.
  let allowance = req.maxBufferedBytes;
  let replaying = true;
  const send = (type: WatchEventType, object: KubeObject) => {
    if (out.destroyed) return;
    const line = req.asStored
      ? `{"type":"${type}","object":${jsonOf(object)}}\n`
      : frameEvent(type, req.transform(object, type));
    out.push(line);
    if (replaying) allowance += line.length;
    else if (out.readableLength > allowance) {
      req.log?.(`watch of ${req.cache.prefix} cut off: the client left ${out.readableLength} bytes unread`);
      out.destroy();
    }
  };
  const deliver = (e: CacheEvent) => {
    if (from !== undefined && e.revision <= from) return;
    const cur = e.type !== 'DELETED' && passes(e, e.object);
    const old =
      e.type === 'ADDED' ? false : passes(e, e.prevObject ?? (e.type === 'DELETED' ? e.object : undefined));
    if (cur && !old) send('ADDED', e.object);
    else if (cur && old) send('MODIFIED', e.object);
    else if (!cur && old) {
      // Left the selection or was deleted: the last state the client saw, at this event's revision.
      const last = e.type === 'DELETED' ? e.object : withRevision(e.prevObject!, e.revision);
      send('DELETED', last);
    }
    if (e.revision > lastSent) lastSent = e.revision;
  };
  const timers: NodeJS.Timeout[] = [];
  const end = () => {
    if (!out.destroyed && !out.readableEnded) out.push(null);
  };
  const sub: CacheSubscriber = {
    onEvent: deliver,
    onTerminate: (reason) => {
      req.log?.(`watch of ${req.cache.prefix} ended: ${reason}`);
      end();
    },
  };
  const sendBookmark = () => {
    if (!req.bookmarks) return;
    const rev = req.cache.currentRevision() > lastSent ? req.cache.currentRevision() : lastSent;
    send(
      'BOOKMARK',
      bookmarkObject(req.bookmarks.apiVersion, req.bookmarks.kind, rev.toString()) as KubeObject,
    );
  };

  const { replay, tooOld } = req.cache.subscribe(sub, from);
  if (tooOld !== undefined) {
    out.push(frameEvent('ERROR', req.tooOld(rv!, tooOld.toString())));
    out.push(null);
    return out;
  }
  for (const e of replay) {
    if (from === undefined) {
      if (passes(e, e.object)) send('ADDED', e.object);
    } else {
      deliver(e);
    }
  }
  replaying = false;
  if (from === undefined) lastSent = req.cache.currentRevision();

  const cleanup = () => {
    req.cache.unsubscribe(sub);
    for (const t of timers) (clearTimeout(t), clearInterval(t));
    req.signal.removeEventListener('abort', onAbort);
  };
  const onAbort = () => out.destroy();
  out.once('close', cleanup);
  out.once('end', cleanup);
  if (req.signal.aborted) out.destroy();
  else req.signal.addEventListener('abort', onAbort, { once: true });
  if (req.bookmarks && req.bookmarkIntervalMs > 0)
    timers.push(setInterval(sendBookmark, req.bookmarkIntervalMs).unref());
  if (req.timeoutMs > 0) {
    timers.push(
      setTimeout(() => {
        // The cacher bookmarks a watch that is about to time out, so the re-watch starts from the latest revision.
        sendBookmark();
        end();
      }, req.timeoutMs).unref(),
    );
  }
  return out;
}

function withRevision(object: KubeObject, revision: bigint): KubeObject {
  return { ...object, metadata: { ...object.metadata, resourceVersion: revision.toString() } };
}

// A resourceVersion beyond the cache: fine if the store has reached it (events of other resources
// moved the revision on), else wait up to 3 s as the cacher does, then report it too large.
async function waitForRevision(req: WatchRequest, wanted: bigint): Promise<string | undefined> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const current = await req.storageRevision();
    if (BigInt(current) >= wanted) return undefined;
    if (Date.now() > deadline || req.signal.aborted) return current;
    await new Promise((r) => setTimeout(r, 100));
  }
}
