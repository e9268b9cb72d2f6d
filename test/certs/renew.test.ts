import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseDocument } from 'yaml';
import { loadAssetDir } from '../../src/bootstrap/asset-dir.js';
import { inventory, renew } from '../../src/certs/index.js';
import { acquireRunLock } from '../../src/lock/index.js';
import { opensslIssued, opensslSelfSigned } from '../pki/support.js';
import { DAY, notAfter, openssl, renderAssets, shapeText } from './support.js';

// Rendered 300 days ago: the leaves have 65 days left, so a renewal now moves notAfter by 300 days.
const RENDERED = new Date(Date.now() - 300 * DAY);
const LEAVES = [
  'admin',
  'apiserver',
  'apiserver-etcd-client',
  'apiserver-kubelet-client',
  'etcd/peer',
  'etcd/server',
  'front-proxy-client',
  'kube-controller-manager',
  'kube-scheduler',
  'kubelet',
];
const CA_OF: Record<string, string> = {
  admin: 'ca',
  apiserver: 'ca',
  'apiserver-kubelet-client': 'ca',
  'kube-controller-manager': 'ca',
  'kube-scheduler': 'ca',
  kubelet: 'ca',
  'apiserver-etcd-client': 'etcd/ca',
  'etcd/peer': 'etcd/ca',
  'etcd/server': 'etcd/ca',
  'front-proxy-client': 'front-proxy-ca',
};

let work: string;
let assets: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'certs-renew-'));
  assets = join(work, 'assets');
  await renderAssets(assets, RENDERED, { 'etcd-servers': 'https://10.0.0.10:2379' });
});
after(() => rm(work, { recursive: true, force: true }));

async function copy(name: string): Promise<string> {
  const dir = join(work, name);
  await cp(assets, dir, { recursive: true });
  return dir;
}

/** Every file of `dir` with its bytes and mode. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const rel of (await readdir(dir, { recursive: true })).sort()) {
    const st = await stat(join(dir, rel));
    if (st.isFile())
      out.set(rel, `${(st.mode & 0o777).toString(8)} ${(await readFile(join(dir, rel))).toString('base64')}`);
  }
  return out;
}

function changedFiles(before: Map<string, string>, after: Map<string, string>): string[] {
  assert.deepEqual([...after.keys()], [...before.keys()], 'the same files, no more, no less');
  return [...before.keys()].filter((k) => before.get(k) !== after.get(k));
}

const tls = (dir: string, name: string) => join(dir, 'tls', `${name}.crt`);
const verify = (dir: string, name: string, ca = CA_OF[name]!) =>
  openssl('verify', '-CAfile', tls(dir, ca), tls(dir, name));

/** The client certificate of a kubeconfig's current user, as kubectl reads it. */
const kubectlClientCert = (path: string): string =>
  Buffer.from(
    execFileSync(
      'kubectl',
      [
        'config',
        'view',
        '--raw',
        '--minify',
        '--kubeconfig',
        path,
        '-o',
        'jsonpath={.users[0].user.client-certificate-data}',
      ],
      { encoding: 'utf8' },
    ),
    'base64',
  ).toString('utf8');

async function secretData(dir: string, file: string, key: string): Promise<string> {
  const doc = parseDocument(await readFile(join(dir, 'manifests', file), 'utf8'));
  return Buffer.from(String(doc.getIn(['data', key])), 'base64').toString('utf8');
}

describe('renewing every leaf (--all)', () => {
  let dir: string;
  let original: Map<string, string>;
  let shapes: Map<string, string>;
  let ends: Map<string, Date>;

  before(async () => {
    dir = await copy('all');
    original = await snapshot(dir);
    shapes = new Map(LEAVES.map((n) => [n, shapeText(tls(dir, n))]));
    ends = new Map(LEAVES.map((n) => [n, notAfter(tls(dir, n))]));
    const result = await renew(dir, 'all', new Date());
    assert.deepEqual(
      result.renewed.map((r) => r.name),
      LEAVES,
    );
    assert.deepEqual(result.skipped, []);
  });

  it('keeps subject, SANs, key usage and extended key usage of each, as openssl prints them', () => {
    for (const name of LEAVES) assert.equal(shapeText(tls(dir, name)), shapes.get(name), name);
    assert.match(
      shapes.get('apiserver')!,
      /DNS:kubernetes\.default\.svc\.cluster\.local.*IP Address:10\.0\.0\.10/s,
    );
    assert.match(shapes.get('kubelet')!, /O ?= ?system:nodes, CN ?= ?system:node:master-0/);
  });

  it('signs each with its CA: openssl verifies the chain, and notAfter moved on by the time since render', () => {
    for (const name of LEAVES) {
      assert.match(verify(dir, name), /: OK/, name);
      const moved = notAfter(tls(dir, name)).getTime() - ends.get(name)!.getTime();
      assert.ok(Math.abs(moved - 300 * DAY) < 60_000, `${name} moved ${moved / DAY} days`);
    }
  });

  it('keeps every key, and changes no CA', async () => {
    const after = await snapshot(dir);
    for (const name of [...LEAVES, 'ca', 'etcd/ca', 'front-proxy-ca'])
      assert.equal(after.get(`tls/${name}.key`), original.get(`tls/${name}.key`), `${name}.key`);
    for (const ca of ['ca', 'etcd/ca', 'front-proxy-ca'])
      assert.equal(after.get(`tls/${ca}.crt`), original.get(`tls/${ca}.crt`));
  });

  it('rewrites the kubeconfigs and Secrets: kubectl loads the new client certificates', async () => {
    for (const [file, name] of [
      ['kubeconfig', 'admin'],
      ['kubeconfig-kubelet', 'kubelet'],
      ['kubeconfig-controller-manager', 'kube-controller-manager'],
      ['kubeconfig-scheduler', 'kube-scheduler'],
    ]) {
      assert.equal(
        kubectlClientCert(join(dir, 'auth', file!)),
        await readFile(tls(dir, name!), 'utf8'),
        file,
      );
    }
    assert.equal(
      await secretData(dir, 'kube-apiserver-secret.yaml', 'apiserver.crt'),
      await readFile(tls(dir, 'apiserver'), 'utf8'),
    );
    assert.equal(
      await secretData(dir, 'kube-apiserver-secret.yaml', 'apiserver-etcd-client.crt'),
      await readFile(tls(dir, 'apiserver-etcd-client'), 'utf8'),
    );
    const nested = join(work, 'nested-kubeconfig');
    await writeFile(nested, await secretData(dir, 'kube-scheduler-secret.yaml', 'kube-scheduler.kubeconfig'));
    assert.equal(
      kubectlClientCert(nested),
      await readFile(tls(dir, 'kube-scheduler'), 'utf8'),
      'the kubeconfig inside the scheduler Secret',
    );
    assert.ok(
      (await inventory(dir)).certificates.every((c) => !c.differs),
      'no copy differs from tls/',
    );
  });

  it('changes nothing but the certificates and the files embedding them, and keeps every mode', async () => {
    const changed = changedFiles(original, await snapshot(dir));
    assert.deepEqual(
      changed,
      [
        'auth/kubeconfig',
        'auth/kubeconfig-controller-manager',
        'auth/kubeconfig-kubelet',
        'auth/kubeconfig-scheduler',
        'manifests/kube-apiserver-secret.yaml',
        'manifests/kube-controller-manager-secret.yaml',
        'manifests/kube-scheduler-secret.yaml',
        ...LEAVES.map((n) => `tls/${n}.crt`),
      ].sort(),
    );
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.deepEqual(
      (await readdir(work)).filter((n) => n.startsWith('.')),
      [],
      'no staging or old dir left beside it',
    );
  });

  it('leaves an asset dir that bootkube start accepts', async () => {
    const a = await loadAssetDir(dir);
    assert.equal(a.bootstrapPods.length, 3);
  });
});

describe('renewing named certificates', () => {
  it('renews only those, and only their copies change', async () => {
    const dir = await copy('named');
    const before = await snapshot(dir);
    const r = await renew(dir, ['apiserver', 'tls/etcd/server.crt'], new Date());
    assert.deepEqual(
      r.renewed.map((x) => [x.name, x.reason, x.signedBy]),
      [
        ['apiserver', 'named', 'ca'],
        ['etcd/server', 'named', 'etcd/ca'],
      ],
    );
    assert.deepEqual(changedFiles(before, await snapshot(dir)), [
      'manifests/kube-apiserver-secret.yaml',
      'tls/apiserver.crt',
      'tls/etcd/server.crt',
    ]);
    assert.deepEqual(r.copiesUpdated, [
      {
        file: 'manifests/kube-apiserver-secret.yaml',
        field: 'data[apiserver.crt]',
        copyOf: 'tls/apiserver.crt',
      },
    ]);
    assert.match(verify(dir, 'etcd/server'), /: OK/);
  });

  it('gives new keys with --new-key, and the kubeconfig carries the new key', async () => {
    const dir = await copy('new-key');
    const oldKey = await readFile(join(dir, 'tls/admin.key'), 'utf8');
    const r = await renew(dir, ['admin'], new Date(), { newKey: true });
    assert.equal(r.renewed[0]!.newKey, true);
    const key = await readFile(join(dir, 'tls/admin.key'), 'utf8');
    assert.notEqual(key, oldKey);
    assert.match(key, /^-----BEGIN EC PRIVATE KEY-----/);
    assert.equal((await stat(join(dir, 'tls/admin.key'))).mode & 0o777, 0o600);
    const pub = (pem: string) => openssl('pkey', '-pubout', '-in', pem);
    assert.equal(
      pub(join(dir, 'tls/admin.key')),
      openssl('x509', '-noout', '-pubkey', '-in', tls(dir, 'admin')),
    );
    const view = execFileSync(
      'kubectl',
      [
        'config',
        'view',
        '--raw',
        '--kubeconfig',
        join(dir, 'auth/kubeconfig'),
        '-o',
        'jsonpath={.users[0].user.client-key-data}',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(Buffer.from(view, 'base64').toString('utf8'), key);
  });

  it('refuses an unknown name, listing the names there are', async () => {
    await assert.rejects(
      renew(assets, ['apiservr'], new Date()),
      (e: Error & { code?: string; hint?: string }) =>
        e.code === 'CERTS_BAD_SELECTION' &&
        /no certificate named "apiservr"/.test(e.message) &&
        /apiserver, apiserver-etcd-client/.test(e.hint!),
    );
  });
});

describe('renewing while another run holds the asset dir', () => {
  it('refuses, naming the lock, and changes nothing', async () => {
    const dir = await copy('locked');
    const release = await acquireRunLock(dir, { what: 'bootkube start' });
    try {
      const before = await snapshot(dir);
      await assert.rejects(
        renew(dir, 'all', new Date()),
        (e: Error & { code?: string }) => e.code === 'ALREADY_RUNNING',
      );
      assert.deepEqual(changedFiles(before, await snapshot(dir)), []);
    } finally {
      await release();
    }
  });
});

describe('renewing a CA', () => {
  it('is refused without --renew-ca, naming what it signed, and changes nothing', async () => {
    const dir = await copy('ca-refused');
    const before = await snapshot(dir);
    await assert.rejects(renew(dir, ['ca'], new Date()), (e: Error & { code?: string; hint?: string }) => {
      assert.equal(e.code, 'CERTS_CA_NEEDS_FLAG');
      assert.equal(e.message, 'ca is a certificate authority, and a CA is never renewed implicitly');
      assert.match(
        e.hint!,
        /the 6 certificates it signed \(admin, apiserver, apiserver-kubelet-client, kube-controller-manager, kube-scheduler, kubelet\), run: bootkube certs renew ca --renew-ca/,
      );
      return true;
    });
    await assert.rejects(
      renew(dir, ['apiserver', 'etcd/ca'], new Date()),
      (e: Error & { code?: string }) => e.code === 'CERTS_CA_NEEDS_FLAG',
    );
    await assert.rejects(
      renew(dir, 'all', new Date(), { renewCa: true }),
      (e: Error & { code?: string }) => e.code === 'CERTS_BAD_SELECTION',
    );
    assert.deepEqual(changedFiles(before, await snapshot(dir)), []);
  });

  it('with --renew-ca renews it with its key, subject and usages, and every certificate it signed', async () => {
    const dir = await copy('ca-renewed');
    const caShape = shapeText(tls(dir, 'ca'));
    const caEnd = notAfter(tls(dir, 'ca'));
    const frontProxy = await readFile(tls(dir, 'front-proxy-client'), 'utf8');
    const r = await renew(dir, ['ca'], new Date(), { renewCa: true });
    assert.deepEqual(
      r.renewed.map((x) => [x.name, x.reason]),
      [
        ['ca', 'named'],
        ['admin', 'ca-renewed'],
        ['apiserver', 'ca-renewed'],
        ['apiserver-kubelet-client', 'ca-renewed'],
        ['kube-controller-manager', 'ca-renewed'],
        ['kube-scheduler', 'ca-renewed'],
        ['kubelet', 'ca-renewed'],
      ],
    );
    assert.equal(shapeText(tls(dir, 'ca')), caShape);
    assert.ok(notAfter(tls(dir, 'ca')).getTime() - caEnd.getTime() > 299 * DAY);
    assert.equal(
      openssl('x509', '-noout', '-pubkey', '-in', tls(dir, 'ca')),
      openssl('pkey', '-pubout', '-in', join(dir, 'tls/ca.key')),
      'the CA keeps its key',
    );
    for (const name of ['admin', 'apiserver', 'kubelet']) assert.match(verify(dir, name), /: OK/);
    assert.equal(
      await readFile(tls(dir, 'front-proxy-client'), 'utf8'),
      frontProxy,
      "another CA's leaves are untouched",
    );
    const caData = execFileSync(
      'kubectl',
      [
        'config',
        'view',
        '--raw',
        '--kubeconfig',
        join(dir, 'auth/kubeconfig-kubelet'),
        '-o',
        'jsonpath={.clusters[0].cluster.certificate-authority-data}',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(
      Buffer.from(caData, 'base64').toString('utf8'),
      await readFile(tls(dir, 'ca'), 'utf8'),
      'kubeconfigs trust the new CA',
    );
    assert.equal(
      await secretData(dir, 'kube-controller-manager-secret.yaml', 'ca.crt'),
      await readFile(tls(dir, 'ca'), 'utf8'),
    );
    assert.ok(
      (await inventory(dir)).certificates.every((c) => !c.differs),
      'no copy differs from tls/',
    );
  });

  it('refuses to sign with an expired CA, pointing at --renew-ca', async () => {
    const dir = join(work, 'old-ca');
    await renderAssets(dir, new Date(Date.now() - 3651 * DAY));
    await assert.rejects(
      renew(dir, ['apiserver'], new Date()),
      (e: Error & { code?: string; hint?: string }) =>
        e.code === 'CERTS_CA_EXPIRED' && /bootkube certs renew ca --renew-ca/.test(e.hint!),
    );
  });

  it('ends a leaf with its CA when the CA has less than a year left, and says so', async () => {
    const dir = join(work, 'aging-ca');
    await renderAssets(dir, new Date(Date.now() - 3600 * DAY));
    const r = await renew(dir, ['apiserver'], new Date());
    assert.equal(r.renewed[0]!.cappedByCa, true);
    assert.equal(notAfter(tls(dir, 'apiserver')).getTime(), notAfter(tls(dir, 'ca')).getTime());
  });
});

describe('certificates bootkube cannot renew', () => {
  it('refuses a leaf whose CA has no key (your own etcd PKI); --all renews the rest and says what it skipped', async () => {
    const byo = join(work, 'byo-etcd');
    await mkdir(byo);
    const ca = await opensslSelfSigned(byo, { cn: 'my-etcd-ca', days: 400 });
    const client = await opensslIssued(byo, ca, { cn: 'apiserver', section: 'client', days: 90 });
    for (const [name, pem] of [
      ['ca.crt', ca.certPem],
      ['client.crt', client.certPem],
      ['client.key', client.keyPem],
    ])
      await writeFile(join(byo, name!), pem!);
    const dir = join(byo, 'assets');
    await renderAssets(dir, new Date(), {
      'etcd-servers': 'https://10.0.0.10:2379',
      'etcd-ca-path': join(byo, 'ca.crt'),
      'etcd-certificate-path': join(byo, 'client.crt'),
      'etcd-private-key-path': join(byo, 'client.key'),
    });
    await assert.rejects(
      renew(dir, ['apiserver-etcd-client'], new Date()),
      (e: Error & { code?: string }) =>
        e.code === 'CERTS_NO_CA_KEY' &&
        e.message ===
          'apiserver-etcd-client: its CA tls/etcd/ca.crt has no private key in the asset dir (a CA you brought without its key, or your own etcd PKI)',
    );
    await assert.rejects(
      renew(dir, ['etcd/ca'], new Date(), { renewCa: true }),
      (e: Error & { code?: string }) => e.code === 'CERTS_NO_CA_KEY',
    );
    const r = await renew(dir, 'all', new Date());
    assert.deepEqual(
      r.skipped.map((s) => s.name),
      ['apiserver-etcd-client'],
    );
    assert.ok(
      r.renewed.some((x) => x.name === 'apiserver') &&
        !r.renewed.some((x) => x.name === 'apiserver-etcd-client'),
      'apiserver renewed, apiserver-etcd-client not',
    );
    assert.equal(await readFile(join(dir, 'tls/apiserver-etcd-client.crt'), 'utf8'), client.certPem);
  });

  it('refuses a certificate whose subject it cannot reissue exactly, changing nothing', async () => {
    const dir = await copy('custom');
    openssl(
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      '/C=US/CN=custom',
      '-keyout',
      join(dir, 'tls/custom.key'),
      '-out',
      join(work, 'custom.csr'),
    );
    openssl(
      'x509',
      '-req',
      '-in',
      join(work, 'custom.csr'),
      '-CA',
      tls(dir, 'ca'),
      '-CAkey',
      join(dir, 'tls/ca.key'),
      '-days',
      '30',
      '-out',
      tls(dir, 'custom'),
    );
    const before = await snapshot(dir);
    await assert.rejects(
      renew(dir, ['custom'], new Date()),
      (e: Error & { code?: string }) =>
        e.code === 'CERTS_CANNOT_KEEP' &&
        /^tls\/custom\.crt: cannot be renewed keeping its subject C=US, CN=custom/.test(e.message),
    );
    assert.deepEqual(changedFiles(before, await snapshot(dir)), []);
  });

  it("refuses a key that is not the certificate's, unless --new-key", async () => {
    const dir = await copy('wrong-key');
    await cp(join(dir, 'tls/kubelet.key'), join(dir, 'tls/admin.key'));
    await assert.rejects(
      renew(dir, ['admin'], new Date()),
      (e: Error & { code?: string }) =>
        e.code === 'CERTS_CANNOT_KEEP' &&
        /tls\/admin\.key: is not the key of tls\/admin\.crt/.test(e.message),
    );
    const kubelet = await readFile(join(dir, 'auth/kubeconfig-kubelet'), 'utf8');
    const r = await renew(dir, ['admin'], new Date(), { newKey: true });
    assert.equal(r.renewed.length, 1);
    assert.equal(
      await readFile(join(dir, 'auth/kubeconfig-kubelet'), 'utf8'),
      kubelet,
      "the kubelet's kubeconfig keeps its key though it equalled tls/admin.key",
    );
    assert.deepEqual(
      r.copiesUpdated.map((c) => `${c.file} ${c.field}`),
      [
        'auth/kubeconfig users[admin].client-certificate-data',
        'auth/kubeconfig users[admin].client-key-data',
      ],
    );
    assert.equal(
      new X509Certificate(await readFile(tls(dir, 'admin'))).checkPrivateKey(
        (await import('node:crypto')).createPrivateKey(await readFile(join(dir, 'tls/admin.key'))),
      ),
      true,
    );
  });
});
