/**
 * The stand-ins' Kubernetes client: JSON over node:https with a client certificate, nothing more.
 * Not @kubernetes/client-node's typed clients: they turn timestamps into Date objects and write
 * them back with three fractional digits, which breaks Lease MicroTimes (DESIGN §4); here every
 * object travels as the server wrote it.
 */
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { KubeApiError } from '../errors.js';
import type { ClientConfig } from './kubeconfig.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type KObj = Record<string, any>;

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KObj;
}

export interface RequestOptions {
  body?: unknown;
  /** application/json unless a patch type is given. */
  contentType?: string;
  signal?: AbortSignal;
}

export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';

/** client-go has no overall request timeout; a bound here keeps a hung connection from stalling a loop for ever. */
const REQUEST_TIMEOUT_MS = 30_000;

export class KubeClient {
  private readonly agent: https.Agent;
  private readonly watchAgent: https.Agent;
  private readonly url: URL;

  constructor(readonly config: ClientConfig) {
    const tls = { ca: config.ca, cert: config.cert, key: config.key };
    this.agent = new https.Agent({ ...tls, keepAlive: true });
    // Watches hold their connection for minutes: never on the pooled keep-alive sockets.
    this.watchAgent = new https.Agent({ ...tls, keepAlive: false });
    this.url = new URL(config.server);
  }

  /** One request; resolves with the decoded JSON body of a 2xx answer, throws KubeApiError otherwise. */
  async request<T = KObj>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const signal = opts.signal
      ? AbortSignal.any([opts.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)])
      : AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    const body = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const res = await this.send(method, path, body, opts.contentType, this.agent, signal);
    const text = await readAll(res);
    if (res.statusCode! >= 200 && res.statusCode! < 300) return (text ? JSON.parse(text) : {}) as T;
    throw apiError(method, path, res.statusCode!, text);
  }

  get<T = KObj>(path: string, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path, { signal });
  }
  create<T = KObj>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    return this.request<T>('POST', path, { body, signal });
  }
  update<T = KObj>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    return this.request<T>('PUT', path, { body, signal });
  }
  patch<T = KObj>(path: string, body: unknown, contentType: string, signal?: AbortSignal): Promise<T> {
    return this.request<T>('PATCH', path, { body, contentType, signal });
  }
  delete<T = KObj>(path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    return this.request<T>('DELETE', path, { body, signal });
  }

  /**
   * A watch: calls onEvent for each event and resolves when the server ends the stream (or the
   * signal aborts it). A refused watch throws KubeApiError with the server's status.
   */
  async watch(path: string, onEvent: (e: WatchEvent) => void, signal: AbortSignal): Promise<void> {
    const res = await this.send('GET', path, undefined, undefined, this.watchAgent, signal);
    if (res.statusCode !== 200) throw apiError('GET', path, res.statusCode!, await readAll(res));
    let buf = '';
    res.setEncoding('utf8');
    try {
      for await (const chunk of res) {
        buf += chunk as string;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line) onEvent(JSON.parse(line) as WatchEvent);
        }
      }
    } catch (err) {
      // A connection cut by the server (a hand-off) or by our own abort ends the watch like a timeout.
      if (signal.aborted || isConnectionError(err)) return;
      throw err;
    }
  }

  /** Closes every pooled connection. */
  close(): void {
    this.agent.destroy();
    this.watchAgent.destroy();
  }

  private send(
    method: string,
    path: string,
    body: Buffer | undefined,
    contentType: string | undefined,
    agent: https.Agent,
    signal: AbortSignal,
  ): Promise<IncomingMessage> {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': this.config.userAgent ?? 'bootkube-standin',
    };
    if (body) {
      headers['Content-Type'] = contentType ?? 'application/json';
      headers['Content-Length'] = String(body.length);
    }
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          protocol: 'https:',
          hostname: this.url.hostname.replace(/^\[|\]$/g, ''),
          port: this.url.port || 443,
          method,
          path: `${this.url.pathname.replace(/\/$/, '')}${path}`,
          headers,
          agent,
          signal,
        },
        resolve,
      );
      req.on('error', (err) =>
        reject(
          signal.aborted
            ? signal.reason
            : new KubeApiError(`${method} ${path}: ${err.message}`, 0, '', { cause: err }),
        ),
      );
      req.end(body);
    });
  }
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

function apiError(method: string, path: string, status: number, text: string): KubeApiError {
  let reason = '';
  let message = text.trim().slice(0, 500);
  try {
    const s = JSON.parse(text) as { kind?: string; reason?: string; message?: string };
    if (s.kind === 'Status') {
      reason = s.reason ?? '';
      message = s.message ?? message;
    }
  } catch {
    // not JSON: the text itself is the best message there is
  }
  return new KubeApiError(`${method} ${path}: ${status} ${reason}: ${message}`, status, reason);
}

function isConnectionError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return (
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'ERR_STREAM_PREMATURE_CLOSE' ||
    (err as Error)?.message === 'aborted'
  );
}

/** The Status inside an ERROR watch event as a KubeApiError (410 Expired is the one that means "relist"). */
export function watchError(e: WatchEvent): KubeApiError {
  const s = e.object as { code?: number; reason?: string; message?: string };
  return new KubeApiError(
    `watch: ${s.code ?? 500} ${s.reason ?? ''}: ${s.message ?? ''}`,
    s.code ?? 500,
    s.reason ?? '',
  );
}
