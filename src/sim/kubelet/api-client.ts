/**
 * The simulated kubelet's API client: node:https with one keep-alive agent per node (client-go
 * shares one transport between the kubelet's three clients), the client certificate and CA of the
 * kubeconfig, JSON only (the kubelet configured with `contentType: application/json`, reference
 * §2.1), and client-go's URL encoding: query keys sorted, values escaped as Go's QueryEscape does
 * (`=` → %3D, `!` → %21), and `timeout=10s` on every request of the heartbeat client, whose
 * http.Client timeout client-go copies into the query. Every request can be logged (the golden
 * test reads the log). Transport failures are results with status 0, never throws: a kubelet
 * treats an unreachable API as a condition to retry, not an exception.
 */
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { DEFAULT_KUBERNETES_VERSION } from '../../config/defaults.js';
import { stableStringify } from './strategic-patch.js';

/** The kubelet's three clients (reference §1): they differ in rate limit and timeout. */
export type ClientKind = 'kube' | 'heartbeat' | 'event';

export const KUBELET_VERSION = DEFAULT_KUBERNETES_VERSION;
/** client-go's DefaultKubernetesUserAgent: `<argv0>/<version> (<os>/<arch>) kubernetes/<commit[:7]>`. */
export const USER_AGENT = `kubelet/${KUBELET_VERSION} (linux/amd64) kubernetes/0000000`;
/** client-go's Accept when the content type is JSON (reference §2.1). */
export const ACCEPT = 'application/json, */*';
export const JSON_TYPE = 'application/json';
export const SMP_TYPE = 'application/strategic-merge-patch+json';
/** min(nodeStatusUpdateFrequency, nodeLeaseDurationSeconds): the heartbeat client's timeout. */
const HEARTBEAT_TIMEOUT_MS = 10_000;

export interface RequestRecord {
  node: string;
  client: ClientKind;
  method: string;
  /** Path and query exactly as sent. */
  path: string;
  contentType?: string;
  accept: string;
  userAgent: string;
  /** HTTP status; 0 when the request never got an answer. */
  status: number;
  /** Wall-clock start and end, ms. */
  at: number;
  end: number;
  watch: boolean;
  /** The body as sent. */
  body?: string;
}

export interface ApiResult<T = any> {
  status: number;
  body: T;
  /** The transport error, when status is 0. */
  error?: Error;
}

export interface WatchEvent {
  type: string;
  object: any;
}

export interface ApiClientOptions {
  nodeName: string;
  server: string;
  ca: string;
  cert: string;
  key: string;
  onRequest?: (r: RequestRecord) => void;
}

export type Query = Record<string, string | number | boolean | undefined>;

/** Go's url.QueryEscape: unreserved characters kept, space as `+`, everything else %XX. */
export function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** url.Values.Encode(): keys sorted, empty/undefined values left out as client-go's ListOptions do. */
export function encodeQuery(q: Query): string {
  const keys = Object.keys(q)
    .filter((k) => q[k] !== undefined && q[k] !== '')
    .sort();
  return keys.map((k) => `${queryEscape(k)}=${queryEscape(String(q[k]))}`).join('&');
}

export class ApiClient {
  readonly agent: https.Agent;
  private readonly url: URL;
  private closed = false;

  constructor(private readonly opts: ApiClientOptions) {
    this.url = new URL(opts.server);
    this.agent = new https.Agent({
      keepAlive: true,
      ca: opts.ca,
      cert: opts.cert,
      key: opts.key,
      maxSockets: Infinity,
      scheduling: 'lifo',
    });
  }

  /** One request; the body is parsed JSON when the answer is JSON. */
  async request<T = any>(
    client: ClientKind,
    method: string,
    path: string,
    opts: { query?: Query; body?: unknown; contentType?: string } = {},
  ): Promise<ApiResult<T>> {
    const query = { ...opts.query, ...(client === 'heartbeat' ? { timeout: '10s' } : {}) };
    const full = withQuery(path, query);
    const contentType = opts.body === undefined ? undefined : (opts.contentType ?? JSON_TYPE);
    // A patch is a Go map: encoding/json writes its keys sorted. Objects keep their field order.
    const body =
      opts.body === undefined
        ? undefined
        : typeof opts.body === 'string'
          ? opts.body
          : contentType === SMP_TYPE
            ? stableStringify(opts.body)
            : JSON.stringify(opts.body);
    const record = this.record(client, method, full, contentType, false, body);
    const result = await this.send(
      method,
      full,
      body,
      contentType,
      client === 'heartbeat' ? HEARTBEAT_TIMEOUT_MS : 60_000,
    );
    record.status = result.status;
    record.end = Date.now();
    this.opts.onRequest?.(record);
    return result as ApiResult<T>;
  }

  /**
   * A watch: events are handed to onEvent as they arrive; resolves when the stream ends (status
   * 200) or with the failed answer. Aborting the signal closes the stream.
   */
  watch(
    path: string,
    query: Query,
    onEvent: (e: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<ApiResult & { events: number }> {
    const full = withQuery(path, query);
    const record = this.record('kube', 'GET', full, undefined, true);
    return new Promise((resolve) => {
      let events = 0;
      let settled = false;
      const done = (r: ApiResult) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        resolve({ ...r, events });
      };
      const req = https.request(this.options('GET', full), (res) => {
        record.status = res.statusCode ?? 0;
        record.end = Date.now();
        this.opts.onRequest?.(record);
        if (res.statusCode !== 200) {
          void readBody(res).then(
            (b) => done({ status: res.statusCode ?? 0, body: b }),
            (error) => done({ status: 0, body: undefined, error }),
          );
          return;
        }
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (!line) continue;
            events++;
            try {
              onEvent(JSON.parse(line) as WatchEvent);
            } catch (error) {
              req.destroy(error as Error);
            }
          }
        });
        res.on('end', () => done({ status: 200, body: undefined }));
        res.on('error', () => done({ status: 200, body: undefined }));
        res.on('close', () => done({ status: 200, body: undefined }));
      });
      const onAbort = () => req.destroy();
      signal.addEventListener('abort', onAbort, { once: true });
      req.on('error', (error) => {
        record.end = Date.now();
        if (record.status === 0 && !signal.aborted) this.opts.onRequest?.(record);
        done({ status: 0, body: undefined, error });
      });
      if (signal.aborted) req.destroy();
      req.end();
    });
  }

  /** Drops idle connections (onRepeatedHeartbeatFailure does this) or, with `all`, every socket. */
  closeIdle(all = false): void {
    if (all) {
      this.closed = true;
      this.agent.destroy();
      return;
    }
    for (const list of Object.values(this.agent.freeSockets)) for (const s of list ?? []) s.destroy();
  }

  private record(
    client: ClientKind,
    method: string,
    path: string,
    contentType: string | undefined,
    watch: boolean,
    body?: string,
  ): RequestRecord {
    return {
      node: this.opts.nodeName,
      client,
      method,
      path,
      contentType,
      accept: ACCEPT,
      userAgent: USER_AGENT,
      status: 0,
      at: Date.now(),
      end: 0,
      watch,
      body,
    };
  }

  private options(method: string, path: string, contentType?: string, length?: number): https.RequestOptions {
    const headers: Record<string, string | number> = { Accept: ACCEPT, 'User-Agent': USER_AGENT };
    if (contentType) headers['Content-Type'] = contentType;
    if (length !== undefined) headers['Content-Length'] = length;
    return {
      protocol: 'https:',
      hostname: this.url.hostname.replace(/^\[|\]$/g, ''),
      port: this.url.port || 443,
      method,
      path: `${this.url.pathname.replace(/\/$/, '')}${path}`,
      headers,
      agent: this.agent,
    };
  }

  private send(
    method: string,
    path: string,
    body: string | undefined,
    contentType: string | undefined,
    timeoutMs: number,
  ): Promise<ApiResult> {
    if (this.closed)
      return Promise.resolve({ status: 0, body: undefined, error: new Error('client closed') });
    return new Promise((resolve) => {
      const req = https.request(
        this.options(method, path, contentType, body === undefined ? undefined : Buffer.byteLength(body)),
        (res) => {
          readBody(res).then(
            (b) => resolve({ status: res.statusCode ?? 0, body: b }),
            (error: Error) => resolve({ status: 0, body: undefined, error }),
          );
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`request timed out after ${timeoutMs} ms`)));
      req.on('error', (error) => resolve({ status: 0, body: undefined, error }));
      req.end(body);
    });
  }
}

function withQuery(path: string, query: Query | undefined): string {
  const q = query ? encodeQuery(query) : '';
  return q ? `${path}?${q}` : path;
}

function readBody(res: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('error', reject);
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (!text) return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch {
        resolve(text);
      }
    });
  });
}

/** The Status reason of an error answer (`NotFound`, `AlreadyExists`, `Conflict`, …). */
export function reasonOf(r: ApiResult): string | undefined {
  return r.body && typeof r.body === 'object' ? (r.body as { reason?: string }).reason : undefined;
}
