import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generatePki, verifyPkiFiles, type PkiResult } from '../../src/pki/index.js';
import { opensslView } from './openssl-text.js';
import {
  epoch,
  fileContent,
  FIXED_NOW,
  openssl,
  opensslResult,
  pkiRequest,
  withTempDir,
  writePkiFiles,
} from './support.js';

type Usage = 'serverAuth' | 'clientAuth';

interface Row {
  name: string;
  /** OpenSSL's one-line subject, in DER order (O before CN, as kubeadm writes it). */
  subject: string;
  /** The name of the CA that signs it; itself for a CA. */
  issuer: string;
  usages: Usage[];
  sans?: string;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const CAS = ['ca', 'front-proxy-ca', 'etcd/ca'];

const TABLE: Row[] = [
  { name: 'ca', subject: 'CN = kubernetes', issuer: 'ca', usages: [] },
  {
    name: 'apiserver',
    subject: 'CN = kube-apiserver',
    issuer: 'ca',
    usages: ['serverAuth'],
    sans: 'DNS:kubernetes, DNS:api.example.com, IP Address:10.3.0.1, IP Address:FD00:10:96:0:0:0:0:1',
  },
  {
    name: 'apiserver-kubelet-client',
    subject: 'O = system:masters, CN = kube-apiserver-kubelet-client',
    issuer: 'ca',
    usages: ['clientAuth'],
  },
  {
    name: 'admin',
    subject: 'O = system:masters, CN = kubernetes-admin',
    issuer: 'ca',
    usages: ['clientAuth'],
  },
  {
    name: 'kubelet',
    subject: 'O = system:nodes, CN = system:node:master-0',
    issuer: 'ca',
    usages: ['clientAuth'],
  },
  {
    name: 'kube-controller-manager',
    subject: 'CN = system:kube-controller-manager',
    issuer: 'ca',
    usages: ['clientAuth'],
  },
  { name: 'kube-scheduler', subject: 'CN = system:kube-scheduler', issuer: 'ca', usages: ['clientAuth'] },
  { name: 'front-proxy-ca', subject: 'CN = front-proxy-ca', issuer: 'front-proxy-ca', usages: [] },
  {
    name: 'front-proxy-client',
    subject: 'CN = front-proxy-client',
    issuer: 'front-proxy-ca',
    usages: ['clientAuth'],
  },
  { name: 'etcd/ca', subject: 'CN = etcd-ca', issuer: 'etcd/ca', usages: [] },
  {
    name: 'etcd/server',
    subject: 'CN = master-0',
    issuer: 'etcd/ca',
    usages: ['serverAuth', 'clientAuth'],
    sans: 'DNS:localhost, DNS:master-0, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
  },
  {
    name: 'etcd/peer',
    subject: 'CN = master-0',
    issuer: 'etcd/ca',
    usages: ['serverAuth', 'clientAuth'],
    sans: 'DNS:localhost, DNS:master-0, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
  },
  {
    name: 'apiserver-etcd-client',
    subject: 'CN = kube-apiserver-etcd-client',
    issuer: 'etcd/ca',
    usages: ['clientAuth'],
  },
];

const OPENSSL_USAGE: Record<Usage, string> = {
  serverAuth: 'TLS Web Server Authentication',
  clientAuth: 'TLS Web Client Authentication',
};

const fullRequest = (keyType: 'rsa-2048' | 'ecdsa-p256') =>
  pkiRequest({
    keyType,
    apiServerSans: { dns: ['kubernetes', 'api.example.com'], ips: ['10.3.0.1', 'fd00:10:96::1'] },
    etcd: { mode: 'generate', sans: { dns: ['localhost', 'master-0'], ips: ['127.0.0.1', '::1'] } },
  });

const crt = (name: string) => `tls/${name}.crt`;
const key = (name: string) => `tls/${name}.key`;

for (const keyType of ['rsa-2048', 'ecdsa-p256'] as const) {
  describe(`generatePki with ${keyType} keys`, () => {
    let result: PkiResult;

    it('writes every certificate and key of the table, keys 0600 and the rest 0644', async () => {
      result = await generatePki(fullRequest(keyType));
      const expected = [
        ...TABLE.flatMap((row) => [crt(row.name), key(row.name)]),
        'tls/service-account.key',
        'tls/service-account.pub',
      ];
      assert.deepEqual(result.files.map((f) => f.path).sort(), expected.sort());
      for (const file of result.files) {
        assert.equal(file.mode, file.path.endsWith('.key') ? 0o600 : 0o644, file.path);
      }
      assert.deepEqual(result.certificates.map((c) => c.name).sort(), TABLE.map((r) => r.name).sort());
    });

    it('writes keys in the PEM forms kubeadm writes', () => {
      const label = keyType === 'rsa-2048' ? 'RSA PRIVATE KEY' : 'EC PRIVATE KEY';
      for (const file of result.files.filter((f) => f.path.endsWith('.key'))) {
        assert.match(file.content, new RegExp(`^-----BEGIN ${label}-----\n`), file.path);
      }
      assert.match(fileContent(result.files, 'tls/service-account.pub'), /^-----BEGIN PUBLIC KEY-----\n/);
    });

    it('issues certificates openssl reads as the table says', async () => {
      await withTempDir(async (dir) => {
        await writePkiFiles(dir, result.files);
        await Promise.all(TABLE.map((row) => checkRow(dir, row, keyType)));
      });
    });

    it('gives each certificate its own positive serial of at least 63 bits', async () => {
      await withTempDir(async (dir) => {
        await writePkiFiles(dir, result.files);
        const serials = await Promise.all(
          TABLE.map(async (row) => (await opensslView(crt(row.name), dir)).serialHex),
        );
        for (const serial of serials) assert.ok(BigInt(`0x${serial}`) >= 2n ** 62n, serial);
        assert.equal(new Set(serials).size, serials.length);
      });
    });

    it('pairs every key with its certificate, and the service-account key with its public key', async () => {
      await withTempDir(async (dir) => {
        await writePkiFiles(dir, result.files);
        for (const row of TABLE) {
          const fromKey = await openssl(['pkey', '-in', key(row.name), '-pubout'], dir);
          const fromCert = await openssl(['x509', '-in', crt(row.name), '-pubkey', '-noout'], dir);
          assert.equal(fromKey, fromCert, row.name);
        }
        const fromKey = await openssl(['pkey', '-in', 'tls/service-account.key', '-pubout'], dir);
        assert.equal(fromKey, fileContent(result.files, 'tls/service-account.pub'));
      });
      assert.doesNotThrow(() => verifyPkiFiles(result.files));
    });

    it('describes each certificate as node:crypto reads it', () => {
      const admin = result.certificates.find((c) => c.name === 'admin')!;
      assert.equal(admin.path, 'tls/admin.crt');
      assert.equal(admin.subject, 'O=system:masters, CN=kubernetes-admin');
      assert.equal(admin.issuer, 'CN=kubernetes');
      assert.deepEqual(admin.extendedKeyUsages, ['clientAuth']);
      assert.equal(admin.notBefore, new Date(FIXED_NOW.getTime() - 5 * MINUTE).toISOString());
      assert.match(admin.sha256Fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      const apiserver = result.certificates.find((c) => c.name === 'apiserver')!;
      assert.deepEqual(apiserver.sans, [
        'DNS:kubernetes',
        'DNS:api.example.com',
        'IP Address:10.3.0.1',
        'IP Address:FD00:10:96:0:0:0:0:1',
      ]);
      for (const info of result.certificates) {
        assert.equal(info.isCa, CAS.includes(info.name), info.name);
        if (info.isCa) assert.deepEqual(info.extendedKeyUsages, []);
      }
    });
  });
}

async function checkRow(dir: string, row: Row, keyType: string): Promise<void> {
  const view = await opensslView(crt(row.name), dir);
  const isCa = CAS.includes(row.name);
  const issuer = await opensslView(crt(row.issuer), dir);
  assert.equal(view.subject, row.subject, row.name);
  assert.equal(view.issuer, issuer.subject, row.name);

  const days = isCa ? 3650 : 365;
  assert.equal(view.notBefore.getTime(), FIXED_NOW.getTime() - 5 * MINUTE, `${row.name} notBefore`);
  assert.equal(view.notAfter.getTime(), FIXED_NOW.getTime() + days * DAY, `${row.name} notAfter`);

  const ext = view.extensions;
  assert.deepEqual(ext.get('X509v3 Basic Constraints'), {
    critical: true,
    value: isCa ? 'CA:TRUE' : 'CA:FALSE',
  });
  const usages = ['Digital Signature'];
  if (keyType === 'rsa-2048') usages.push('Key Encipherment');
  if (isCa) usages.push('Certificate Sign');
  assert.deepEqual(ext.get('X509v3 Key Usage'), { critical: true, value: usages.join(', ') }, row.name);
  assert.equal(
    ext.get('X509v3 Extended Key Usage')?.value,
    isCa ? undefined : row.usages.map((u) => OPENSSL_USAGE[u]).join(', '),
  );
  assert.equal(ext.get('X509v3 Subject Alternative Name')?.value, row.sans, row.name);
  assert.ok(ext.get('X509v3 Subject Key Identifier'), `${row.name} has a subjectKeyIdentifier`);
  const aki = ext.get('X509v3 Authority Key Identifier')?.value;
  assert.equal(
    aki,
    isCa ? undefined : issuer.extensions.get('X509v3 Subject Key Identifier')?.value,
    row.name,
  );
  assert.equal(
    view.signatureAlgorithm,
    keyType === 'rsa-2048' ? 'sha256WithRSAEncryption' : 'ecdsa-with-SHA256',
  );

  await checkVerify(dir, row);
}

/** openssl accepts the certificate for exactly the purposes its usages allow. */
async function checkVerify(dir: string, row: Row): Promise<void> {
  const verify = (purpose: string) =>
    opensslResult(
      ['verify', '-attime', epoch(FIXED_NOW), '-CAfile', crt(row.issuer), '-purpose', purpose, crt(row.name)],
      dir,
    );
  if (CAS.includes(row.name)) {
    const result = await opensslResult(
      ['verify', '-attime', epoch(FIXED_NOW), '-CAfile', crt(row.name), crt(row.name)],
      dir,
    );
    assert.equal(result.stdout.trim(), `${crt(row.name)}: OK`, result.stderr);
    return;
  }
  for (const [usage, purpose] of [
    ['serverAuth', 'sslserver'],
    ['clientAuth', 'sslclient'],
  ] as const) {
    const result = await verify(purpose);
    if (row.usages.includes(usage))
      assert.equal(result.stdout.trim(), `${crt(row.name)}: OK`, `${row.name} ${purpose}: ${result.stderr}`);
    else assert.notEqual(result.code, 0, `${row.name} must not verify for ${purpose}`);
  }
}

describe('generatePki choices', () => {
  it('writes no etcd material when etcd is not TLS, but still the front proxy', async () => {
    const result = await generatePki(pkiRequest({ etcd: { mode: 'none' } }));
    const paths = result.files.map((f) => f.path);
    assert.ok(!paths.some((p) => p.startsWith('tls/etcd/') || p.includes('etcd-client')), paths.join(', '));
    assert.ok(paths.includes('tls/front-proxy-ca.crt') && paths.includes('tls/front-proxy-client.key'));
  });

  it('uses UTCTime before 2050 and GeneralizedTime from 2050 on', async () => {
    const now = new Date('2045-01-01T00:00:00Z');
    const result = await generatePki(pkiRequest({ now }));
    await withTempDir(async (dir) => {
      await writePkiFiles(dir, result.files);
      const ca = await openssl(['asn1parse', '-in', 'tls/ca.crt'], dir);
      assert.match(ca, /UTCTIME\s+:441231235500Z[\s\S]*GENERALIZEDTIME\s+:20541230000000Z/);
      const leaf = await openssl(['asn1parse', '-in', 'tls/admin.crt'], dir);
      assert.match(leaf, /UTCTIME\s+:441231235500Z[\s\S]*UTCTIME\s+:460101000000Z/);
      const verified = await opensslResult(
        ['verify', '-attime', epoch(now), '-CAfile', 'tls/ca.crt', 'tls/admin.crt'],
        dir,
      );
      assert.equal(verified.stdout.trim(), 'tls/admin.crt: OK', verified.stderr);
    });
  });

  it('drops duplicate SANs and writes an IPv4-mapped IPv6 address as IPv4, as Go does', async () => {
    const sans = { dns: ['a.example', 'a.example'], ips: ['10.0.0.1', '::ffff:10.0.0.1'] };
    const result = await generatePki(pkiRequest({ apiServerSans: sans }));
    const apiserver = result.certificates.find((c) => c.name === 'apiserver')!;
    assert.deepEqual(apiserver.sans, ['DNS:a.example', 'IP Address:10.0.0.1']);
  });

  it('rejects a DNS SAN that is not ASCII', async () => {
    await assert.rejects(generatePki(pkiRequest({ apiServerSans: { dns: ['bücher.example'], ips: [] } })), {
      code: 'PKI_BAD_SAN',
      message: /DNS name "bücher\.example"/,
    });
  });

  it('rejects an IP SAN that is not an IP address', async () => {
    await assert.rejects(generatePki(pkiRequest({ apiServerSans: { dns: [], ips: ['10.0.0.300'] } })), {
      code: 'PKI_BAD_SAN',
      message: /apiserver certificate: "10\.0\.0\.300" is not an IP address/,
    });
  });
});
