import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { generatePki, verifyPkiFiles } from '../../src/pki/index.js';
import { opensslView } from './openssl-text.js';
import {
  epoch,
  fileContent,
  opensslResult,
  opensslIssued,
  opensslKey,
  opensslSelfSigned,
  pkiRequest,
  withTempDir,
  writePkiFiles,
} from './support.js';

const DAY = 24 * 60 * 60 * 1000;

// The user's CA is made by openssl on the real clock, so these tests run at the real time too.
describe('generatePki with the user’s own CA', () => {
  it('copies the CA verbatim and signs every cluster leaf with it (an RSA CA over EC leaves)', async () => {
    await withTempDir(async (dir) => {
      const ca = await opensslSelfSigned(dir, { cn: 'my-root', days: 30 });
      const now = new Date();
      const result = await generatePki(pkiRequest({ ca, now }));
      assert.equal(fileContent(result.files, 'tls/ca.crt'), ca.certPem);
      assert.equal(fileContent(result.files, 'tls/ca.key'), ca.keyPem);
      assert.equal(result.files.find((f) => f.path === 'tls/ca.key')?.mode, 0o600);

      await writePkiFiles(dir, result.files);
      for (const leaf of ['apiserver', 'admin', 'kubelet', 'kube-scheduler']) {
        const verified = await opensslResult(
          ['verify', '-attime', epoch(now), '-CAfile', 'tls/ca.crt', `tls/${leaf}.crt`],
          dir,
        );
        assert.equal(verified.stdout.trim(), `tls/${leaf}.crt: OK`, verified.stderr);
        const view = await opensslView(`tls/${leaf}.crt`, dir);
        assert.equal(view.issuer, 'CN = my-root');
        assert.equal(view.signatureAlgorithm, 'sha256WithRSAEncryption');
      }
      // The front proxy keeps its own CA even with a user CA, as kubeadm does.
      const frontProxy = await opensslView('tls/front-proxy-client.crt', dir);
      assert.equal(frontProxy.issuer, 'CN = front-proxy-ca');
      assert.doesNotThrow(() => verifyPkiFiles(result.files));
    });
  });

  it('ends leaves with the CA when the CA expires within their year, and starts them no earlier', async () => {
    await withTempDir(async (dir) => {
      const ca = await opensslSelfSigned(dir, { cn: 'short-lived', days: 30 });
      const result = await generatePki(pkiRequest({ ca, now: new Date() }));
      await writePkiFiles(dir, result.files);
      const caView = await opensslView('tls/ca.crt', dir);
      const leaf = await opensslView('tls/admin.crt', dir);
      assert.equal(leaf.notAfter.getTime(), caView.notAfter.getTime());
      assert.ok(leaf.notBefore.getTime() >= caView.notBefore.getTime());
    });
  });

  it('rejects a key that is not the CA’s: PKI_KEY_MISMATCH naming the key flag', async () => {
    await withTempDir(async (dir) => {
      const ca = await opensslSelfSigned(dir, { cn: 'my-root' });
      const otherKey = await opensslKey(dir, ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']);
      await assert.rejects(
        generatePki(pkiRequest({ ca: { certPem: ca.certPem, keyPem: otherKey }, now: new Date() })),
        {
          code: 'PKI_KEY_MISMATCH',
          message: /^--ca-private-key-path: .*--ca-certificate-path/,
        },
      );
    });
  });

  it('rejects a leaf certificate given as the CA: PKI_NOT_CA', async () => {
    const first = await generatePki(pkiRequest());
    const admin = {
      certPem: fileContent(first.files, 'tls/admin.crt'),
      keyPem: fileContent(first.files, 'tls/admin.key'),
    };
    await assert.rejects(generatePki(pkiRequest({ ca: admin })), {
      code: 'PKI_NOT_CA',
      message: /^--ca-certificate-path: not a certificate authority/,
    });
  });

  it('rejects a CA whose keyUsage does not allow signing certificates: PKI_NOT_CA', async () => {
    await withTempDir(async (dir) => {
      const ca = await opensslSelfSigned(dir, { cn: 'no-sign', section: 'ca_no_certsign' });
      await assert.rejects(generatePki(pkiRequest({ ca, now: new Date() })), {
        code: 'PKI_NOT_CA',
        message: /keyCertSign/,
      });
    });
  });

  it('rejects an expired CA at the injected time: PKI_EXPIRED', async () => {
    await withTempDir(async (dir) => {
      const ca = await opensslSelfSigned(dir, { cn: 'my-root', days: 30 });
      const later = new Date(Date.now() + 31 * DAY);
      await assert.rejects(
        generatePki(pkiRequest({ ca, now: later })),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, 'PKI_EXPIRED');
          assert.match(error.message, /^--ca-certificate-path: the certificate expired on \d{4}-/);
          return true;
        },
      );
    });
  });

  it('rejects a CA not yet valid at the injected time: PKI_NOT_YET_VALID', async () => {
    await withTempDir(async (dir) => {
      const ca = await opensslSelfSigned(dir, { cn: 'my-root' });
      await assert.rejects(generatePki(pkiRequest({ ca, now: new Date(Date.now() - DAY) })), {
        code: 'PKI_NOT_YET_VALID',
      });
    });
  });

  it('rejects a CA key it cannot sign with: PKI_UNSUPPORTED_KEY', async () => {
    await withTempDir(async (dir) => {
      const ca = await opensslSelfSigned(dir, { cn: 'ed-root', key: 'ed25519' });
      await assert.rejects(generatePki(pkiRequest({ ca, now: new Date() })), {
        code: 'PKI_UNSUPPORTED_KEY',
        message: /^--ca-private-key-path: unsupported key: ed25519/,
      });
    });
  });

  it('names the paths the caller gives instead of the flags', async () => {
    const first = await generatePki(pkiRequest());
    const admin = {
      certPem: fileContent(first.files, 'tls/admin.crt'),
      keyPem: fileContent(first.files, 'tls/admin.key'),
    };
    const sources = {
      caCertificate: '/etc/pki/ca.pem',
      caPrivateKey: '/etc/pki/ca-key.pem',
      etcdCa: 'x',
      etcdCertificate: 'y',
      etcdPrivateKey: 'z',
    };
    await assert.rejects(generatePki(pkiRequest({ ca: admin }), sources), {
      code: 'PKI_NOT_CA',
      message: /^\/etc\/pki\/ca\.pem: /,
    });
  });

  it('signs with an issued (intermediate) CA, chaining to its root', async () => {
    await withTempDir(async (dir) => {
      const root = await opensslSelfSigned(dir, { cn: 'root' });
      const intermediate = await opensslIssued(dir, root, { cn: 'intermediate', section: 'ca' });
      const now = new Date();
      const result = await generatePki(pkiRequest({ ca: intermediate, now }));
      await writePkiFiles(dir, result.files);
      await writeFile(join(dir, 'root.crt'), root.certPem);
      const verified = await opensslResult(
        [
          'verify',
          '-attime',
          epoch(now),
          '-CAfile',
          'root.crt',
          '-untrusted',
          'tls/ca.crt',
          'tls/apiserver.crt',
        ],
        dir,
      );
      assert.equal(verified.stdout.trim(), 'tls/apiserver.crt: OK', verified.stderr);
    });
  });
});
