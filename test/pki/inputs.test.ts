import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { generatePki, loadCertificate, loadPrivateKey, PkiError } from '../../src/pki/index.js';
import { fileContent, openssl, opensslKey, opensslSelfSigned, pkiRequest, withTempDir } from './support.js';

const SOURCE = '--ca-certificate-path';

/** Asserts `fn` throws a PkiError with `code` whose one-line message starts with `source` and matches `detail`. */
function assertPkiError(fn: () => unknown, code: string, detail: RegExp, source = SOURCE): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof PkiError, `expected a PkiError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.equal(error.source, source);
    assert.ok(error.message.startsWith(`${source}: `), error.message);
    assert.match(error.message, detail);
    assert.ok(!error.message.includes('\n'), 'one line');
    assert.ok(error.hint, 'has a hint');
    return true;
  });
}

describe('loadCertificate', () => {
  it('rejects empty input', () => {
    assertPkiError(() => loadCertificate('', SOURCE), 'PKI_BAD_PEM', /is empty/);
    assertPkiError(() => loadCertificate(' \n\t', SOURCE), 'PKI_BAD_PEM', /is empty/);
  });

  it('rejects text that is not PEM', () => {
    assertPkiError(() => loadCertificate('hello, world\n', SOURCE), 'PKI_BAD_PEM', /is not PEM/);
  });

  it('rejects a truncated PEM block', async () => {
    const { files } = await generatePki(pkiRequest());
    const truncated = fileContent(files, 'tls/ca.crt').slice(0, 200);
    assertPkiError(() => loadCertificate(truncated, SOURCE), 'PKI_BAD_PEM', /without its -----END/);
  });

  it('rejects a CERTIFICATE block holding garbage', () => {
    const notBase64 = '-----BEGIN CERTIFICATE-----\n!!!not base64!!!\n-----END CERTIFICATE-----\n';
    assertPkiError(() => loadCertificate(notBase64, SOURCE), 'PKI_BAD_PEM', /not valid base64/);
    const notDer = `-----BEGIN CERTIFICATE-----\n${Buffer.from('garbage bytes').toString('base64')}\n-----END CERTIFICATE-----\n`;
    assertPkiError(() => loadCertificate(notDer, SOURCE), 'PKI_BAD_PEM', /not a valid X\.509 certificate/);
  });

  it('rejects a private key where a certificate is expected', async () => {
    const { files } = await generatePki(pkiRequest());
    assertPkiError(
      () => loadCertificate(fileContent(files, 'tls/ca.key'), SOURCE),
      'PKI_BAD_PEM',
      /holds an EC PRIVATE KEY block, not a certificate/,
    );
  });

  it('rejects several certificates where one is expected', async () => {
    const { files } = await generatePki(pkiRequest());
    const bundle = fileContent(files, 'tls/ca.crt') + fileContent(files, 'tls/front-proxy-ca.crt');
    assertPkiError(
      () => loadCertificate(bundle, SOURCE),
      'PKI_BAD_PEM',
      /holds 2 certificates; expected one/,
    );
  });

  it('reads a certificate with text around it, as openssl x509 -text writes it', async () => {
    const { files } = await generatePki(pkiRequest());
    const pem = fileContent(files, 'tls/ca.crt');
    assert.equal(loadCertificate(`Subject: CN=kubernetes\n${pem}`, SOURCE).subject, 'CN=kubernetes');
  });
});

describe('loadPrivateKey', () => {
  const KEY = '--ca-private-key-path';

  it('reads PKCS#8, PKCS#1 and SEC1 keys, RSA and P-256', async () => {
    await withTempDir(async (dir) => {
      const rsa8 = await opensslKey(dir, ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']);
      const ec8 = await opensslKey(dir, ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
      const traditional = async (pem: string) => {
        await writeFile(join(dir, 'k.pem'), pem);
        return openssl(['pkey', '-in', 'k.pem', '-traditional'], dir);
      };
      const rsa1 = await traditional(rsa8);
      const sec1 = await traditional(ec8);
      assert.match(rsa1, /BEGIN RSA PRIVATE KEY/);
      assert.match(sec1, /BEGIN EC PRIVATE KEY/);
      for (const [pem, type] of [
        [rsa8, 'rsa'],
        [rsa1, 'rsa'],
        [ec8, 'ec'],
        [sec1, 'ec'],
      ] as const) {
        assert.equal(loadPrivateKey(pem, KEY).asymmetricKeyType, type);
      }
      // `openssl ecparam -genkey` writes the curve parameters before the key.
      const withParams = await openssl(['ecparam', '-name', 'prime256v1', '-genkey'], dir);
      assert.match(withParams, /BEGIN EC PARAMETERS[\s\S]*BEGIN EC PRIVATE KEY/);
      assert.equal(loadPrivateKey(withParams, KEY).asymmetricKeyType, 'ec');
    });
  });

  it('rejects encrypted keys, PKCS#8 and legacy OpenSSL alike', async () => {
    await withTempDir(async (dir) => {
      const pkcs8 = await opensslKey(dir, [
        '-algorithm',
        'EC',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-aes256',
        '-pass',
        'pass:secret',
      ]);
      assert.match(pkcs8, /BEGIN ENCRYPTED PRIVATE KEY/);
      assertPkiError(() => loadPrivateKey(pkcs8, KEY), 'PKI_ENCRYPTED_KEY', /is encrypted/, KEY);
      const legacy = await openssl(
        ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'plain.pem'],
        dir,
      ).then(() => openssl(['ec', '-in', 'plain.pem', '-aes128', '-passout', 'pass:secret'], dir));
      assert.match(legacy, /Proc-Type: 4,ENCRYPTED/);
      assertPkiError(() => loadPrivateKey(legacy, KEY), 'PKI_ENCRYPTED_KEY', /is encrypted/, KEY);
    });
  });

  it('rejects keys of other algorithms and sizes', async () => {
    await withTempDir(async (dir) => {
      const cases: [string[], RegExp][] = [
        [['-algorithm', 'ED25519'], /ed25519/],
        [['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'], /EC curve secp384r1/],
        [['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'], /RSA 1024 bits is too short/],
      ];
      for (const [args, detail] of cases) {
        const pem = await opensslKey(dir, args);
        assertPkiError(() => loadPrivateKey(pem, KEY), 'PKI_UNSUPPORTED_KEY', detail, KEY);
      }
    });
  });

  it('rejects a certificate, a public key, or nothing where a private key is expected', async () => {
    await withTempDir(async (dir) => {
      const ca = await opensslSelfSigned(dir, { cn: 'x' });
      assertPkiError(
        () => loadPrivateKey(ca.certPem, KEY),
        'PKI_BAD_PEM',
        /holds a CERTIFICATE block, not a private key/,
        KEY,
      );
      await writeFile(join(dir, 'ca.crt'), ca.certPem);
      const publicKey = await openssl(['x509', '-in', 'ca.crt', '-pubkey', '-noout'], dir);
      assertPkiError(
        () => loadPrivateKey(publicKey, KEY),
        'PKI_BAD_PEM',
        /holds a PUBLIC KEY block, not a private key/,
        KEY,
      );
      assertPkiError(() => loadPrivateKey('', KEY), 'PKI_BAD_PEM', /is empty/, KEY);
      assertPkiError(() => loadPrivateKey('garbage', KEY), 'PKI_BAD_PEM', /is not PEM/, KEY);
    });
  });
});
