import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkCa,
  generatePki,
  keyMatchesCertificate,
  verifyChain,
  verifyPkiFiles,
  type PkiFile,
} from '../../src/pki/index.js';
import { fileContent, opensslIssued, opensslSelfSigned, pkiRequest, withTempDir } from './support.js';

/** `files` with the content at `path` replaced. */
function replaced(files: PkiFile[], path: string, content: string): PkiFile[] {
  assert.ok(
    files.some((f) => f.path === path),
    `${path} exists`,
  );
  return files.map((f) => (f.path === path ? { ...f, content } : f));
}

const generateRequest = pkiRequest({
  etcd: { mode: 'generate', sans: { dns: ['localhost'], ips: ['127.0.0.1'] } },
});

describe('verifyPkiFiles', () => {
  it('accepts what generatePki writes', async () => {
    const { files } = await generatePki(generateRequest);
    assert.doesNotThrow(() => verifyPkiFiles(files));
  });

  it('catches two swapped keys, naming the first key file that does not fit', async () => {
    const { files } = await generatePki(generateRequest);
    const swapped = replaced(
      replaced(files, 'tls/admin.key', fileContent(files, 'tls/apiserver.key')),
      'tls/apiserver.key',
      fileContent(files, 'tls/admin.key'),
    );
    assert.throws(() => verifyPkiFiles(swapped), {
      code: 'PKI_KEY_MISMATCH',
      message: 'tls/apiserver.key: the private key does not match the certificate tls/apiserver.crt',
    });
  });

  it('catches a service-account key that is not the public key’s', async () => {
    const [{ files }, other] = await Promise.all([
      generatePki(generateRequest),
      generatePki(generateRequest),
    ]);
    const mixed = replaced(
      files,
      'tls/service-account.pub',
      fileContent(other.files, 'tls/service-account.pub'),
    );
    assert.throws(() => verifyPkiFiles(mixed), {
      code: 'PKI_KEY_MISMATCH',
      message: /^tls\/service-account\.key: /,
    });
  });

  it('catches a leaf (with its key) from another cluster whose CA has the same name', async () => {
    const [{ files }, other] = await Promise.all([
      generatePki(generateRequest),
      generatePki(generateRequest),
    ]);
    const foreign = replaced(
      replaced(files, 'tls/etcd/server.crt', fileContent(other.files, 'tls/etcd/server.crt')),
      'tls/etcd/server.key',
      fileContent(other.files, 'tls/etcd/server.key'),
    );
    assert.throws(() => verifyPkiFiles(foreign), {
      code: 'PKI_CHAIN_INVALID',
      message: /^tls\/etcd\/server\.crt: was not issued by any CA here \(issuer CN=etcd-ca\)/,
    });
  });

  it('catches a forged signature when the leaf has no key identifier to tell the CAs apart', async () => {
    await withTempDir(async (dir) => {
      const realCa = await opensslSelfSigned(dir, { cn: 'kubernetes' });
      const forgerCa = await opensslSelfSigned(dir, { cn: 'kubernetes' });
      const forged = await opensslIssued(dir, forgerCa, { cn: 'kubernetes-admin', section: 'client_no_aki' });
      const files: PkiFile[] = [
        { path: 'tls/ca.crt', content: realCa.certPem, mode: 0o644 },
        { path: 'tls/admin.crt', content: forged.certPem, mode: 0o644 },
        { path: 'tls/admin.key', content: forged.keyPem, mode: 0o600 },
      ];
      assert.throws(() => verifyPkiFiles(files), {
        code: 'PKI_CHAIN_INVALID',
        message: 'tls/admin.crt: its signature does not verify with the key of tls/ca.crt',
      });
    });
  });
});

describe('verifyChain, keyMatchesCertificate and checkCa', () => {
  it('verifyChain accepts a leaf with its CA and rejects it with another CA', async () => {
    const [{ files }, other] = await Promise.all([
      generatePki(generateRequest),
      generatePki(generateRequest),
    ]);
    const leaf = fileContent(files, 'tls/front-proxy-client.crt');
    assert.doesNotThrow(() => verifyChain(leaf, fileContent(files, 'tls/front-proxy-ca.crt')));
    assert.throws(() => verifyChain(leaf, fileContent(files, 'tls/ca.crt')), { code: 'PKI_CHAIN_INVALID' });
    assert.throws(
      () =>
        verifyChain(leaf, fileContent(other.files, 'tls/front-proxy-ca.crt'), {
          leaf: 'leaf.pem',
          ca: 'ca.pem',
        }),
      { code: 'PKI_CHAIN_INVALID', message: /^leaf\.pem: was not issued by ca\.pem/ },
    );
  });

  it('keyMatchesCertificate tells a certificate’s own key from another', async () => {
    const { files } = await generatePki(generateRequest);
    const crt = fileContent(files, 'tls/kubelet.crt');
    assert.equal(keyMatchesCertificate(fileContent(files, 'tls/kubelet.key'), crt), true);
    assert.equal(keyMatchesCertificate(fileContent(files, 'tls/admin.key'), crt), false);
  });

  it('checkCa accepts a CA inside its validity and names the source otherwise', async () => {
    const { files } = await generatePki(generateRequest);
    const ca = fileContent(files, 'tls/ca.crt');
    const now = generateRequest.now;
    assert.equal(checkCa(ca, 'tls/ca.crt', now).subject, 'CN=kubernetes');
    const after = new Date(now.getTime() + 3651 * 24 * 60 * 60 * 1000);
    assert.throws(() => checkCa(ca, 'tls/ca.crt', after), {
      code: 'PKI_EXPIRED',
      message: /^tls\/ca\.crt: /,
    });
    assert.throws(() => checkCa(fileContent(files, 'tls/admin.crt'), 'tls/admin.crt', now), {
      code: 'PKI_NOT_CA',
    });
  });
});
