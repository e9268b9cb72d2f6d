/**
 * The TLS edge, the only module that touches node:https. It asks every client for a certificate
 * but accepts the handshake whatever it gets (the authenticator turns a bad certificate into a 401
 * Status, as kube-apiserver does), reads bodies, and writes responses: buffered ones with a
 * Content-Length, watches streamed with pipeline(). build() and listen() are separate, so tests
 * drive `handle()` with no socket; close() stops accepting and destroys every open connection,
 * keep-alive and watch alike, which the API hand-off depends on (DESIGN §3 step 5).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { pipeline } from 'node:stream/promises';
import type { TLSSocket } from 'node:tls';
import type { PeerCertificate } from './auth/index.js';
import { ApiError, Errors } from './status.js';
import type { ApiRequest, ApiResponse } from './handlers/index.js';

/** Why a request's signal aborts: its response closed (the client went or the server is closing). */
const RESPONSE_CLOSED = Object.freeze(new Error('the response is closed'));

/** kube-apiserver's --max-request-body-bytes default (3 MiB), the most it decodes. */
const MAX_BODY_BYTES = 3 * 1024 * 1024;

export interface ApiServerOptions {
  /** The whole API below the edge. */
  handle: (req: ApiRequest) => Promise<ApiResponse>;
  /** PEM: the serving certificate (with chain) and key. */
  cert: string | Buffer;
  key: string | Buffer;
  /** PEM: the CA client certificates must chain to. */
  clientCa: string | Buffer;
  /** Called once by close(), after every connection is gone (the caller's own teardown). */
  onClose?: () => Promise<void>;
  /** Called first by close(): /readyz starts failing before anything else stops. */
  onClosing?: () => void;
  log?: (line: string) => void;
}

export interface ApiServer {
  /** The API without a socket: what a request over TLS would get. */
  handle(req: ApiRequest): Promise<ApiResponse>;
  /** Where it listens, once listen() resolved. */
  address(): { host: string; port: number } | undefined;
  /** Open connections right now (for tests of the hand-off). */
  connectionCount(): number;
  /** Stops accepting, ends every request and watch, destroys every connection, waits for handlers still writing; idempotent. */
  close(): Promise<void>;
  /** The node server, for listen() only. */
  readonly server: Server;
}

/** Builds the server; nothing listens until listen(). */
export function buildApiServer(opts: ApiServerOptions): ApiServer {
  const sockets = new Map<TLSSocket, Promise<void>>();
  const inflight = new Set<AbortController>();
  // Handlers still running: close() waits for them, so nothing is written after it resolves.
  const handling = new Set<Promise<unknown>>();
  const peers = new WeakMap<object, PeerCertificate | undefined>();
  const server = createServer(
    {
      cert: opts.cert,
      key: opts.key,
      ca: opts.clientCa,
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
      ALPNProtocols: ['http/1.1'],
      requestTimeout: 60_000,
      headersTimeout: 60_000,
    },
    (req, res) => void serve(req, res),
  );
  // Clients keep idle connections ~90 s (client-go's IdleConnTimeout); closing sooner races their
  // next request on the same connection, which a non-idempotent POST does not retry.
  server.keepAliveTimeout = 120_000;
  // A TLS server's 'connection' socket hands its handle to the TLSSocket and never emits events
  // again; the TLSSocket of 'secureConnection' is the one that closes.
  let closing: Promise<void> | undefined;
  server.on('secureConnection', (socket: TLSSocket) => {
    // A handshake that was under way when close() began finishes after it: that connection must
    // not be served (a watch on it would keep close() waiting for ever).
    if (closing) return void socket.destroy();
    const closed = new Promise<void>((resolve) =>
      socket.once('close', () => {
        sockets.delete(socket);
        resolve();
      }),
    );
    sockets.set(socket, closed);
  });
  server.on('tlsClientError', () => {});

  const peerOf = (socket: TLSSocket): PeerCertificate | undefined => {
    if (peers.has(socket)) return peers.get(socket);
    const cert = socket.getPeerCertificate();
    let peer: PeerCertificate | undefined;
    if (cert && Object.keys(cert).length > 0) {
      peer = {
        authorized: socket.authorized,
        error: socket.authorizationError ? String(socket.authorizationError) : undefined,
        subject: { CN: cert.subject?.CN, O: cert.subject?.O },
        extKeyUsage: cert.ext_key_usage,
      };
    }
    peers.set(socket, peer);
    return peer;
  };

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const abort = new AbortController();
    inflight.add(abort);
    res.once('close', () => {
      // One shared reason: a DOMException per request (abort()'s default) costs a stack trace.
      abort.abort(RESPONSE_CLOSED);
      inflight.delete(abort);
    });
    let response: ApiResponse;
    try {
      const body = await readBody(req);
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      const handled = opts.handle({
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers,
        body,
        peer: peerOf(req.socket as TLSSocket),
        remoteAddress: req.socket.remoteAddress,
        signal: abort.signal,
      });
      handling.add(handled);
      void handled.finally(() => handling.delete(handled)).catch(() => {});
      response = await handled;
    } catch (e) {
      const err = e instanceof ApiError ? e : Errors.internal(e);
      response = {
        status: err.code,
        headers: { 'Content-Type': 'application/json' },
        body: `${JSON.stringify(err.status)}\n`,
      };
    }
    await write(req, res, response, abort.signal);
  }

  return {
    server,
    handle: (req) => opts.handle(req),
    address() {
      const a = server.address();
      return a && typeof a === 'object' ? { host: a.address, port: a.port } : undefined;
    },
    connectionCount: () => sockets.size,
    close() {
      return (closing ??= (async () => {
        opts.onClosing?.();
        const closed = server.listening
          ? new Promise<void>((resolve) => server.close(() => resolve()))
          : Promise.resolve();
        for (const a of inflight) a.abort(RESPONSE_CLOSED);
        const gone = [...sockets.values()];
        for (const s of sockets.keys()) s.destroy();
        server.closeAllConnections();
        await Promise.all([closed, ...gone, ...[...handling].map((h) => h.catch(() => {}))]);
        await opts.onClose?.();
      })());
    },
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw Errors.tooLarge(`limit is ${MAX_BODY_BYTES}`);
    chunks.push(chunk as Buffer);
  }
  return chunks.length ? Buffer.concat(chunks) : undefined;
}

async function write(
  req: IncomingMessage,
  res: ServerResponse,
  r: ApiResponse,
  signal: AbortSignal,
): Promise<void> {
  if (res.destroyed) return;
  res.statusCode = r.status;
  res.setHeader('Audit-Id', randomUUID());
  res.setHeader('Cache-Control', 'no-cache, private');
  for (const [k, v] of Object.entries(r.headers)) res.setHeader(k, v);
  if (r.stream) {
    // Watch headers go out at once: clients wait for them before reading events (watch.go).
    res.flushHeaders();
    try {
      await pipeline(r.stream, res, { signal });
    } catch {
      // The client went away, the watch was cut off or the server is closing: nothing to report.
      r.stream.destroy();
      res.destroy();
    }
    return;
  }
  const body = typeof r.body === 'string' ? Buffer.from(r.body) : (r.body ?? Buffer.alloc(0));
  res.setHeader('Content-Length', body.length);
  res.end(req.method === 'HEAD' ? undefined : body);
}

export interface ListenOptions {
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** Aborting closes the server (as close() does). */
  signal?: AbortSignal;
}

/** Binds the server; resolves with the address it listens on. */
export async function listen(api: ApiServer, opts: ListenOptions): Promise<{ host: string; port: number }> {
  const { server } = api;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(opts.port, opts.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  if (opts.signal) {
    if (opts.signal.aborted) await api.close();
    else opts.signal.addEventListener('abort', () => void api.close(), { once: true });
  }
  return api.address()!;
}
