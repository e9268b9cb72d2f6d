// A private etcd for tests: the library's (src/etcd/local.ts), plus a throwaway PKI for TLS tests.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export {
  startEtcd,
  freePorts,
  type EtcdHandle,
  type EtcdTlsOptions,
  type StartEtcdOptions,
} from '../../src/etcd/local.js';

/** Paths of a throwaway PKI for TLS tests: a CA, a server certificate for 127.0.0.1, a client certificate. */
export interface EtcdTestPki {
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
}

/** Writes a CA, a server certificate (IP SAN 127.0.0.1) and a client certificate into dir, with openssl (EC P-256). */
export async function makeEtcdTestPki(dir: string): Promise<EtcdTestPki> {
  const p = (name: string) => join(dir, name);
  const run = (args: string[]) => {
    const r = spawnSync('openssl', args, { encoding: 'utf8' });
    if (r.error || r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr || r.error}`);
  };
  const key = (file: string) => run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', file]);
  key(p('ca.key'));
  run([
    'req',
    '-x509',
    '-new',
    '-key',
    p('ca.key'),
    '-subj',
    '/CN=etcd-test-ca',
    '-days',
    '2',
    '-out',
    p('ca.crt'),
  ]);
  const leaf = (name: string, cn: string, ext: string) => {
    key(p(`${name}.key`));
    run(['req', '-new', '-key', p(`${name}.key`), '-subj', `/CN=${cn}`, '-out', p(`${name}.csr`)]);
    const extFile = p(`${name}.ext`);
    writeFileSync(extFile, `${ext}\n`);
    run([
      'x509',
      '-req',
      '-in',
      p(`${name}.csr`),
      '-CA',
      p('ca.crt'),
      '-CAkey',
      p('ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      extFile,
      '-out',
      p(`${name}.crt`),
    ]);
  };
  leaf('server', 'etcd-server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth');
  leaf('client', 'etcd-client', 'extendedKeyUsage=clientAuth');
  return {
    caFile: p('ca.crt'),
    serverCertFile: p('server.crt'),
    serverKeyFile: p('server.key'),
    clientCertFile: p('client.crt'),
    clientKeyFile: p('client.key'),
  };
}
