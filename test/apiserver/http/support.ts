// Test support for the API server: a rendered asset dir (the real PKI and kubeconfigs), a shim on a
// free port, and an HTTPS client that speaks as a kubelet, the admin, or nobody.
import https from 'node:https';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadClusterConfig } from '../../../src/config/index.js';
import { render } from '../../../src/render/render.js';
import {
  createApiServer,
  listen,
  type CreateApiServerOptions,
  type ShimServer,
} from '../../../src/apiserver/index.js';
import type { Storage } from '../../../src/apiserver/storage/index.js';

export const NODE = 'node-1';

export interface Identity {
  cert: string;
  key: string;
}

export interface Assets {
  dir: string;
  ca: string;
  apiserverCert: string;
  apiserverKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
  admin: Identity;
  kubelet: Identity;
  controllerManager: Identity;
  cleanup(): Promise<void>;
}

/** Renders an asset dir (ECDSA keys, for speed) for node NODE with the API at 127.0.0.1. */
export async function renderAssets(): Promise<Assets> {
  const work = await mkdtemp(join(tmpdir(), 'shim-http-'));
  const dir = join(work, 'assets');
  const config = await loadClusterConfig({
    flags: {
      'node-name': NODE,
      'key-type': 'ecdsa-p256',
      'api-servers': 'https://127.0.0.1:6443',
      'etcd-servers': 'http://127.0.0.1:2379',
    },
    bootkubeVersion: '0.1.0',
  });
  await render({ config, assetDir: dir, force: false });
  const r = (p: string) => readFile(join(dir, p), 'utf8');
  const fromKubeconfig = async (file: string): Promise<Identity> => {
    const kc = parseYaml(await r(file)) as { users: Array<{ user: Record<string, string> }> };
    const u = kc.users[0]!.user;
    return {
      cert: Buffer.from(u['client-certificate-data']!, 'base64').toString(),
      key: Buffer.from(u['client-key-data']!, 'base64').toString(),
    };
  };
  return {
    dir,
    ca: await r('tls/ca.crt'),
    apiserverCert: await r('tls/apiserver.crt'),
    apiserverKey: await r('tls/apiserver.key'),
    serviceAccountKey: await r('tls/service-account.key'),
    serviceAccountPub: await r('tls/service-account.pub'),
    admin: await fromKubeconfig('auth/kubeconfig'),
    kubelet: await fromKubeconfig('auth/kubeconfig-kubelet'),
    controllerManager: await fromKubeconfig('auth/kubeconfig-controller-manager'),
    cleanup: () => rm(work, { recursive: true, force: true }),
  };
}

export interface Shim {
  server: ShimServer;
  port: number;
  client(identity?: Identity): Client;
  close(): Promise<void>;
}

/** A shim on 127.0.0.1:<free port> over storage, standalone unless told otherwise. */
export async function startShim(
  assets: Assets,
  storage: Storage,
  extra: Partial<CreateApiServerOptions> = {},
  port = 0,
): Promise<Shim> {
  const server = await createApiServer({
    storage,
    tlsCert: assets.apiserverCert,
    tlsKey: assets.apiserverKey,
    clientCa: assets.ca,
    serviceAccountKey: assets.serviceAccountKey,
    mode: 'standalone',
    log: process.env.SHIM_DEBUG ? (l) => console.error(l) : undefined,
    requestLog: process.env.SHIM_DEBUG ? (l) => console.error(l) : undefined,
    ...extra,
  });
  const addr = await listen(server, { host: '127.0.0.1', port });
  return {
    server,
    port: addr.port,
    client: (identity) => new Client(addr.port, assets.ca, identity),
    close: () => server.close(),
  };
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

export interface RequestOptions {
  body?: unknown;
  contentType?: string;
  accept?: string;
  headers?: Record<string, string>;
}

/** An HTTPS client with keep-alive, as client-go's transport is. */
export class Client {
  readonly agent: https.Agent;

  constructor(
    readonly port: number,
    readonly ca: string,
    readonly identity?: Identity,
  ) {
    this.agent = new https.Agent({
      keepAlive: true,
      ca,
      cert: identity?.cert,
      key: identity?.key,
      maxSockets: 64,
    });
  }

  request(method: string, path: string, opts: RequestOptions = {}): Promise<Reply> {
    const body =
      opts.body === undefined
        ? undefined
        : typeof opts.body === 'string' || Buffer.isBuffer(opts.body)
          ? opts.body
          : JSON.stringify(opts.body);
    const headers: Record<string, string> = {
      Accept: opts.accept ?? 'application/json, */*',
      'User-Agent': 'shim-test',
      ...opts.headers,
    };
    if (body !== undefined) {
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      // Node's client frames DELETE bodies only with a length (Go's always sends one).
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port: this.port,
          method,
          path,
          headers,
          agent: this.agent,
          servername: 'localhost',
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  get(path: string, opts?: RequestOptions) {
    return this.request('GET', path, opts);
  }
  post(path: string, body: unknown, opts?: RequestOptions) {
    return this.request('POST', path, { ...opts, body });
  }
  put(path: string, body: unknown, opts?: RequestOptions) {
    return this.request('PUT', path, { ...opts, body });
  }
  patch(path: string, body: unknown, contentType: string) {
    return this.request('PATCH', path, { body, contentType });
  }
  delete(path: string, body?: unknown) {
    return this.request('DELETE', path, { body });
  }

  /** Opens a watch; events arrive one JSON line each. */
  watch(path: string, opts: RequestOptions = {}): Promise<WatchStream> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port: this.port,
          method: 'GET',
          path,
          headers: { Accept: opts.accept ?? 'application/json', ...opts.headers },
          agent: new https.Agent({
            keepAlive: false,
            ca: this.ca,
            cert: this.identity?.cert,
            key: this.identity?.key,
          }),
          servername: 'localhost',
        },
        (res) => resolve(new WatchStream(res, () => req.destroy())),
      );
      req.on('error', reject);
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface WatchEvent {
  type: string;
  object: any;
}

/** The events of a watch response, split at newlines. */
export class WatchStream {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly events: WatchEvent[] = [];
  /** Raw text as received, to check the framing. */
  raw = '';
  ended = false;
  private buf = '';
  private waiters: Array<() => void> = [];

  constructor(
    res: import('node:http').IncomingMessage,
    private readonly abort: () => void,
  ) {
    this.status = res.statusCode ?? 0;
    this.headers = res.headers;
    res.setEncoding('utf8');
    res.on('data', (s: string) => {
      this.raw += s;
      this.buf += s;
      let i;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        if (line.trim()) this.events.push(JSON.parse(line));
      }
      this.wake();
    });
    const end = () => {
      this.ended = true;
      this.wake();
    };
    res.on('end', end);
    res.on('close', end);
    res.on('error', end);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits until pred holds for the events so far (or the stream ends), up to timeoutMs. */
  async until(pred: (events: WatchEvent[]) => boolean, timeoutMs = 5000): Promise<WatchEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this.events)) {
      if (this.ended)
        throw new Error(
          `watch ended before the condition held; events: ${JSON.stringify(this.events.map((e) => e.type))}`,
        );
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out waiting on the watch; events: ${JSON.stringify(this.events.map((e) => [e.type, e.object?.metadata?.name]))}`,
        );
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
    return this.events;
  }

  async waitEnd(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error('watch did not end');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
  }

  close(): void {
    this.abort();
  }
}

/** Waits for cond with a deadline (tests never sleep for a fixed time). */
export async function eventually<T>(
  cond: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 5000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
