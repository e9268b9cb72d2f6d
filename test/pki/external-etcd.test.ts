import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generatePki, verifyPkiFiles } from '../../src/pki/index.js';
import {
  epoch,
  fileContent,
  openssl,
  opensslIssued,
  opensslKey,
  opensslResult,
  opensslSelfSigned,
  pkiRequest,
  withTempDir,
  writePkiFiles,
  type Pem,
} from './support.js';

const DAY = 24 * 60 * 60 * 1000;

/** An etcd CA and an apiserver client certificate made by openssl, as a user's etcd cluster has them. */
async function userEtcd(dir: string, clientSection: 'client' | 'server' = 'client') {
  const ca = await opensslSelfSigned(dir, { cn: 'my-etcd-ca', days: 30 });
  const client = await opensslIssued(dir, ca, { cn: 'apiserver', section: clientSection });
  return { ca, client };
}

const external = (ca: Pem, client: Pem, keyPem = client.keyPem) =>
  ({ mode: 'external', caPem: ca.certPem, certPem: client.certPem, keyPem }) as const;

// openssl makes these on the real clock, so the tests run at the real time too.
describe('generatePki with an external etcd', () => {
  it('copies the etcd CA and client certificate verbatim and makes no etcd certificates', async () => {
    await withTempDir(async (dir) => {
      const { ca, client } = await userEtcd(dir);
      const now = new Date();
      const result = await generatePki(pkiRequest({ etcd: external(ca, client), now }));
      assert.equal(fileContent(result.files, 'tls/etcd/ca.crt'), ca.certPem);
      assert.equal(fileContent(result.files, 'tls/apiserver-etcd-client.crt'), client.certPem);
      assert.equal(fileContent(result.files, 'tls/apiserver-etcd-client.key'), client.keyPem);
      const paths = result.files.map((f) => f.path);
      assert.ok(
        !paths.includes('tls/etcd/ca.key') && !paths.includes('tls/etcd/server.crt'),
        paths.join(', '),
      );
      assert.equal(result.files.find((f) => f.path === 'tls/apiserver-etcd-client.key')?.mode, 0o600);

      await writePkiFiles(dir, result.files);
      const verified = await opensslResult(
        [
          'verify',
          '-attime',
          epoch(now),
          '-CAfile',
          'tls/etcd/ca.crt',
          '-purpose',
          'sslclient',
          'tls/apiserver-etcd-client.crt',
        ],
        dir,
      );
      assert.equal(verified.stdout.trim(), 'tls/apiserver-etcd-client.crt: OK', verified.stderr);
      assert.deepEqual(
        result.certificates.filter((c) => c.path.includes('etcd')).map((c) => [c.name, c.issuer]),
        [
          ['etcd/ca', 'CN=my-etcd-ca'],
          ['apiserver-etcd-client', 'CN=my-etcd-ca'],
        ],
      );
      assert.doesNotThrow(() => verifyPkiFiles(result.files));
    });
  });

  it('rejects a client key that is not the certificate’s: PKI_KEY_MISMATCH', async () => {
    await withTempDir(async (dir) => {
      const { ca, client } = await userEtcd(dir);
      const otherKey = await opensslKey(dir, ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
      await assert.rejects(
        generatePki(pkiRequest({ etcd: external(ca, client, otherKey), now: new Date() })),
        {
          code: 'PKI_KEY_MISMATCH',
          message: /^--etcd-private-key-path: .*--etcd-certificate-path/,
        },
      );
    });
  });

  it('rejects a client certificate another CA issued: PKI_CHAIN_INVALID', async () => {
    await withTempDir(async (dir) => {
      const { ca } = await userEtcd(dir);
      const { client: foreign } = await userEtcd(dir);
      await assert.rejects(generatePki(pkiRequest({ etcd: external(ca, foreign), now: new Date() })), {
        code: 'PKI_CHAIN_INVALID',
        message: /^--etcd-certificate-path: was not issued by --etcd-ca-path/,
      });
    });
  });

  it('rejects a client certificate made for servers only: PKI_BAD_USAGE', async () => {
    await withTempDir(async (dir) => {
      const { ca, client } = await userEtcd(dir, 'server');
      await assert.rejects(generatePki(pkiRequest({ etcd: external(ca, client), now: new Date() })), {
        code: 'PKI_BAD_USAGE',
        message: /^--etcd-certificate-path: .*clientAuth/,
      });
    });
  });

  it('rejects an expired client certificate at the injected time: PKI_EXPIRED', async () => {
    await withTempDir(async (dir) => {
      const ca = await opensslSelfSigned(dir, { cn: 'my-etcd-ca', days: 60 });
      const client = await opensslIssued(dir, ca, { cn: 'apiserver', section: 'client', days: 10 });
      await assert.rejects(
        generatePki(pkiRequest({ etcd: external(ca, client), now: new Date(Date.now() + 20 * DAY) })),
        {
          code: 'PKI_EXPIRED',
          message: /^--etcd-certificate-path: /,
        },
      );
    });
  });

  it('rejects a client certificate given as the etcd CA: PKI_NOT_CA', async () => {
    await withTempDir(async (dir) => {
      const { client } = await userEtcd(dir);
      await assert.rejects(generatePki(pkiRequest({ etcd: external(client, client), now: new Date() })), {
        code: 'PKI_NOT_CA',
        message: /^--etcd-ca-path: /,
      });
    });
  });

  it('accepts a client key of a curve bootkube never signs with, since it only copies it', async () => {
    await withTempDir(async (dir) => {
      const ca = await opensslSelfSigned(dir, { cn: 'my-etcd-ca' });
      const client = await opensslIssued(dir, ca, {
        cn: 'apiserver',
        section: 'client',
        key: 'ec:' + (await p384(dir)),
      });
      const result = await generatePki(pkiRequest({ etcd: external(ca, client), now: new Date() }));
      assert.equal(fileContent(result.files, 'tls/apiserver-etcd-client.key'), client.keyPem);
    });
  });
});

async function p384(dir: string): Promise<string> {
  await openssl(['ecparam', '-name', 'secp384r1', '-out', 'p384.pem'], dir);
  return 'p384.pem';
}
