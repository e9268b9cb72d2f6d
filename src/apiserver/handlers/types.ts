/**
 * The request and response every layer below the TLS edge works with: plain data, so handlers are
 * tested without sockets (server.ts turns node:http into these and back).
 */
import type { Readable } from 'node:stream';
import type { PeerCertificate } from '../auth/index.js';

export interface ApiRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  /** Lower-cased names; repeated headers joined with ', '. */
  headers: Record<string, string | undefined>;
  /** The whole body (requests are read fully; the real server caps them at 3 MiB too). */
  body?: Buffer;
  /** The client certificate as TLS saw it; absent when the client sent none. */
  peer?: PeerCertificate;
  remoteAddress?: string;
  /** Aborted when the client goes away or the server closes: ends watches. */
  signal?: AbortSignal;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body?: Buffer | string;
  /** A streamed body (watches): piped to the client until it ends. */
  stream?: Readable;
}

/** The user the request acts as, with the path it asked for: what the log line shows. */
export interface RequestLog {
  method: string;
  url: string;
  status: number;
  user: string;
  latencyMs: number;
  userAgent?: string;
  remoteAddress?: string;
}
