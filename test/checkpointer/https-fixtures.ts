/**
 * TLS for the source tests, made with openssl in a temp dir: a CA, a serving certificate for
 * 127.0.0.1 and the node's client certificate (system:node:mynode); HTTPS servers on port 0 that
 * demand that client certificate; kubeconfigs that point at them.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadClusterAccess, type ClusterAccess } from '../../src/checkpointer/sources/api.js';

const run = promisify(execFile);

export type Pem = Record<'ca.crt' | 'server.crt' | 'server.key' | 'client.crt' | 'client.key', string>;

export interface Seen {
  method: string;
  url: string;
  /** CN of the client certificate. */
  user: string;
  body: string;
}

/** What the server answers a request with; 'hang' never answers. */
export type Handler = (
  req: { method: string; url: string },
  body: string,
) => { status: number; body?: unknown } | 'hang';

export interface TestServer {
  url: string;
  seen: Seen[];
  close(): void;
}

export interface HttpsFixtures {
  pem: Pem;
  server(handler: Handler): Promise<TestServer>;
  /** Writes a kubeconfig for `url` with the node's certificate; returns its path and what it loads to. */
  kubeconfig(url: string): Promise<ClusterAccess>;
  kubeconfigPath(url: string): Promise<string>;
}

/** Makes the certificates in `dir` (once per call) and returns servers and kubeconfigs using them. */
export async function httpsFixtures(dir: string): Promise<HttpsFixtures> {
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-subj',
    '/CN=test-ca',
    '-days',
    '1',
  );
  for (const [name, subj, ext] of [
    ['server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1'],
    ['client', '/O=system:nodes/CN=system:node:mynode', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    await openssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj);
    await writeFile(join(dir, `${name}.ext`), `${ext}\n`);
    await openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
    );
  }
  const pem = {} as Pem;
  for (const f of ['ca.crt', 'server.crt', 'server.key', 'client.crt', 'client.key'] as const)
    pem[f] = await readFile(join(dir, f), 'utf8');

  const server = async (handler: Handler): Promise<TestServer> => {
    const seen: Seen[] = [];
    const srv = https.createServer(
      {
        cert: pem['server.crt'],
        key: pem['server.key'],
        ca: pem['ca.crt'],
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          const cn = (req.socket as TLSSocket).getPeerCertificate().subject?.CN ?? '';
          seen.push({ method: req.method!, url: req.url!, user: String(cn), body });
          const answer = handler({ method: req.method!, url: req.url! }, body);
          if (answer === 'hang') return;
          res.writeHead(answer.status, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(answer.body ?? {}));
        });
      },
    );
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    return {
      url: `https://127.0.0.1:${(srv.address() as AddressInfo).port}`,
      seen,
      close: () => {
        srv.closeAllConnections();
        srv.close();
      },
    };
  };

  let n = 0;
  const kubeconfigPath = async (url: string): Promise<string> => {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const path = join(dir, `kubeconfig-${++n}`);
    await writeFile(
      path,
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{name: c, cluster: {server: "${url}", certificate-authority-data: ${b64(pem['ca.crt'])}}}]`,
        `users: [{name: u, user: {client-certificate-data: ${b64(pem['client.crt'])}, client-key-data: ${b64(pem['client.key'])}}}]`,
        'contexts: [{name: x, context: {cluster: c, user: u}}]',
        'current-context: x',
      ].join('\n'),
    );
    return path;
  };
  return {
    pem,
    server,
    kubeconfig: async (url) => loadClusterAccess(await kubeconfigPath(url)),
    kubeconfigPath,
  };
}
