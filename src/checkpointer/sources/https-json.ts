/**
 * One HTTPS request with a JSON answer, bounded by a timeout and an AbortSignal: what the API,
 * kubelet and /readyz sources need. Objects travel as the server wrote them (no typed decoding,
 * which would drop fields a checkpoint must keep).
 */
import https from 'node:https';
import tls from 'node:tls';

export interface TlsMaterial {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Skip verifying the server's certificate (a kubelet's self-signed serving certificate on loopback). */
  insecure?: boolean;
}

export interface HttpAnswer {
  status: number;
  text: string;
}

export class HttpRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

// One agent per TLS material (each source keeps its own object): its connections are kept alive
// and reused, and the certificates are parsed once. A context and a handshake per request, every
// pass, cost the daemon tens of MiB of native memory (DESIGN.md §9: 60 MiB in all).
const agents = new WeakMap<TlsMaterial, https.Agent>();
function agentFor(material: TlsMaterial): https.Agent {
  let agent = agents.get(material);
  if (!agent) {
    agent = new https.Agent({
      keepAlive: true,
      maxSockets: 4,
      maxFreeSockets: 2,
      // Idle connections are dropped before a server's own idle timeout can cut them mid-request.
      timeout: 30_000,
      rejectUnauthorized: !material.insecure,
      secureContext: tls.createSecureContext({ ca: material.ca, cert: material.cert, key: material.key }),
    });
    agents.set(material, agent);
  }
  return agent;
}

/** Sends one request; resolves with any HTTP answer, rejects on a transport error, the timeout or an abort. */
export function httpsRequest(
  url: URL,
  opts: {
    method?: string;
    body?: unknown;
    tls: TlsMaterial;
    headers?: Record<string, string>;
    timeoutMs: number;
    signal: AbortSignal;
  },
): Promise<HttpAnswer> {
  // A controller of its own, let go when the request ends: AbortSignal.any() on the loop's
  // long-lived signal keeps every request's signal alive in Node 20 (a leak, pass after pass).
  const own = new AbortController();
  const signal = own.signal;
  const timer = setTimeout(() => own.abort(), opts.timeoutMs);
  const onAbort = () => own.abort();
  if (opts.signal.aborted) own.abort();
  else opts.signal.addEventListener('abort', onAbort, { once: true });
  const done = () => {
    clearTimeout(timer);
    opts.signal.removeEventListener('abort', onAbort);
  };
  const body = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
  return new Promise<HttpAnswer>((resolve, reject) => {
    const req = https.request(
      {
        protocol: 'https:',
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || 443,
        path: `${url.pathname}${url.search}`,
        method: opts.method ?? 'GET',
        headers: {
          Accept: 'application/json',
          'User-Agent': 'bootkube-checkpointer',
          ...(body ? { 'Content-Type': 'application/json', 'Content-Length': String(body.length) } : {}),
          ...opts.headers,
        },
        rejectUnauthorized: !opts.tls.insecure,
        agent: agentFor(opts.tls),
        signal,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', (err) => {
      const why = opts.signal.aborted
        ? 'aborted'
        : signal.aborted
          ? `no answer within ${opts.timeoutMs} ms`
          : err.message;
      reject(
        new HttpRequestError(`${opts.method ?? 'GET'} ${url.origin}${url.pathname}: ${why}`, 0, {
          cause: err,
        }),
      );
    });
    req.end(body);
  }).finally(done);
}

/** A request whose 2xx JSON body is returned; any other status rejects with HttpRequestError (404 → `undefined` if allowed). */
export async function httpsJson<T>(
  url: URL,
  opts: Parameters<typeof httpsRequest>[1] & { allowNotFound?: boolean },
): Promise<T | undefined> {
  const answer = await httpsRequest(url, opts);
  if (answer.status === 404 && opts.allowNotFound) return undefined;
  if (answer.status < 200 || answer.status >= 300) {
    let message = answer.text.trim().slice(0, 300);
    try {
      message = (JSON.parse(answer.text) as { message?: string }).message ?? message;
    } catch {
      // not a Status: the text is the best message there is
    }
    throw new HttpRequestError(
      `${opts.method ?? 'GET'} ${url.pathname}: ${answer.status} ${message}`,
      answer.status,
    );
  }
  return JSON.parse(answer.text) as T;
}
