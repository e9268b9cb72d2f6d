/**
 * The kubelet's authenticated port (10250 on a real node; its own port per simulated node, 0 in
 * tests): GET /pods answers the PodList of what the kubelet believes should run (API pods from its
 * informer cache, static pods with the status manager's status), so while the API is unreachable
 * it serves the stale cache exactly as a real kubelet does (reference §7.1). Clients authenticate
 * with a certificate from the cluster CA (no certificate, or another CA: 401). The serving
 * certificate is self-signed, as a kubelet without serverTLSBootstrap makes one; one is made per
 * process and shared by every simulated node, since making a thousand would cost seconds.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { caValidity, generateKey, privateKeyToPem, selfSign } from '../../pki/index.js';

export type Obj = Record<string, any>;

let serving: Promise<{ cert: string; key: string }> | undefined;

/** The process's self-signed kubelet serving certificate (127.0.0.1, localhost). */
export function servingCertificate(): Promise<{ cert: string; key: string }> {
  serving ??= (async () => {
    const key = await generateKey('ecdsa-p256');
    const { pem } = selfSign(
      {
        name: 'kubelet-serving',
        commonName: `bootkube-sim@${Math.floor(Date.now() / 1000)}`,
        organizations: [],
        isCa: false,
        usages: ['serverAuth'],
        sans: { dns: ['localhost'], ips: ['127.0.0.1'] },
        ...caValidity(new Date()),
      },
      key,
    );
    return { cert: pem, key: privateKeyToPem(key.privateKey) };
  })();
  return serving;
}

export interface PodsServer {
  readonly port: number;
  close(): Promise<void>;
}

export interface PodsServerOptions {
  host?: string;
  port?: number;
  /** PEM of the CA client certificates must chain to (the cluster CA). */
  clientCa: string;
  pods(): Obj[];
}

/** Starts the server; resolves once it listens. */
export async function startPodsServer(o: PodsServerOptions): Promise<PodsServer> {
  const { cert, key } = await servingCertificate();
  const sockets = new Set<Socket>();
  const server: Server = createServer(
    { cert, key, ca: o.clientCa, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      const send = (status: number, body: string, type = 'application/json') => {
        res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
      };
      if (!socket.authorized) return send(401, 'Unauthorized', 'text/plain; charset=utf-8');
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET') return send(405, 'Method Not Allowed', 'text/plain; charset=utf-8');
      if (path === '/healthz') return send(200, 'ok', 'text/plain; charset=utf-8');
      if (path === '/pods' || path === '/pods/')
        return send(
          200,
          JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: o.pods() }),
        );
      return send(404, '404 page not found', 'text/plain; charset=utf-8');
    },
  );
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
