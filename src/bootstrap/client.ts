/**
 * start's client of the API (the shim, then the real apiservers): JSON over one keep-alive
 * https.Agent with the kubeconfig's client certificate, and resource paths found by discovery, as
 * kubectl finds them. Transport failures are answers with status 0, never throws: every caller of
 * start retries through the hand-offs, when the API is expected to vanish for a moment.
 */
import https from 'node:https';
import type { ClusterAccess } from '../checkpointer/sources/api.js';

export interface Answer<T = any> {
  /** HTTP status; 0 when no answer came (refused, reset, timeout). */
  status: number;
  body: T;
  /** The transport error, when status is 0. */
  error?: Error;
}

export interface ResourceInfo {
  /** The plural name in the path. */
  name: string;
  namespaced: boolean;
}

/** The parts of an object that name it. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

export class ApiClient {
  private readonly agent: https.Agent;
  private readonly resources = new Map<string, Map<string, ResourceInfo>>();

  constructor(
    readonly access: ClusterAccess,
    /** Where to send requests instead of the kubeconfig's server (rehearsals). */
    readonly server: URL = access.server,
  ) {
    this.agent = new https.Agent({
      keepAlive: true,
      ca: access.tls.ca,
      cert: access.tls.cert,
      key: access.tls.key,
      // The serving certificate names the kubeconfig's host, also when a rehearsal dials loopback.
      servername: access.server.hostname.replace(/^\[|\]$/g, ''),
    });
  }

  /** One request; the body is parsed when it is JSON. */
  request<T = any>(
    method: string,
    path: string,
    opts: { body?: unknown; contentType?: string; timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<Answer<T>> {
    const body = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const signals = [AbortSignal.timeout(opts.timeoutMs ?? 15_000), ...(opts.signal ? [opts.signal] : [])];
    return new Promise((resolve) => {
      const req = https.request(
        {
          hostname: this.server.hostname.replace(/^\[|\]$/g, ''),
          port: this.server.port || 443,
          path,
          method,
          agent: this.agent,
          signal: AbortSignal.any(signals),
          headers: {
            Accept: 'application/json',
            'User-Agent': 'bootkube-start',
            ...this.access.headers,
            ...(body
              ? {
                  'Content-Type': opts.contentType ?? 'application/json',
                  'Content-Length': String(body.length),
                }
              : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (error) => resolve({ status: 0, body: undefined as T, error }));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            if (/json/.test(String(res.headers['content-type']))) {
              try {
                parsed = JSON.parse(text);
              } catch {
                // a truncated body: keep the text for the message
              }
            }
            resolve({ status: res.statusCode ?? 0, body: parsed as T });
          });
        },
      );
      req.on('error', (error) => resolve({ status: 0, body: undefined as T, error }));
      req.end(body);
    });
  }

  /** The REST path of an object (its collection when `collection`), found by discovery; undefined while the API does not know the kind. */
  async pathOf(ref: ObjectRef, collection = false): Promise<string | undefined> {
    const info = await this.resource(ref.apiVersion, ref.kind);
    if (!info) return undefined;
    const base = ref.apiVersion.includes('/') ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`;
    const ns = info.namespaced
      ? `/namespaces/${encodeURIComponent(ref.metadata.namespace ?? 'default')}`
      : '';
    return `${base}${ns}/${info.name}${collection ? '' : `/${encodeURIComponent(ref.metadata.name)}`}`;
  }

  /** What discovery says of a kind; asks again when it is not known yet (a CRD just established). */
  async resource(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    let kinds = this.resources.get(apiVersion);
    if (!kinds?.has(kind)) {
      const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      const answer = await this.request<{
        resources?: Array<{ name: string; kind: string; namespaced: boolean }>;
      }>('GET', path);
      if (answer.status !== 200) return undefined;
      kinds = new Map();
      for (const r of answer.body.resources ?? []) {
        if (!r.name.includes('/')) kinds.set(r.kind, { name: r.name, namespaced: r.namespaced });
      }
      this.resources.set(apiVersion, kinds);
    }
    return kinds.get(kind);
  }

  /** Forget cached discovery (after a CRD is established, or the API changed hands). */
  forgetDiscovery(): void {
    this.resources.clear();
  }

  close(): void {
    this.agent.destroy();
  }
}

/** A Status answer's message, or the status code, for error lines. */
export function answerMessage(a: Answer): string {
  if (a.status === 0) return a.error?.message ?? 'no answer';
  const message = typeof a.body === 'object' && a.body ? (a.body as { message?: string }).message : undefined;
  return `${a.status}${message ? ` ${message}` : ''}`;
}
