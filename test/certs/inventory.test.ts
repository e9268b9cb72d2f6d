import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseDocument } from 'yaml';
import { checkExpiration, inventory } from '../../src/certs/index.js';
import { openssl, renderAssets } from './support.js';

let work: string;
let assets: string;
let other: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'certs-inventory-'));
  assets = join(work, 'assets');
  other = join(work, 'other');
  await Promise.all([renderAssets(assets), renderAssets(other)]);
});
after(() => rm(work, { recursive: true, force: true }));

async function copy(name: string): Promise<string> {
  const dir = join(work, name);
  await cp(assets, dir, { recursive: true });
  return dir;
}

/** Sets the base64 value at `path` in the YAML file `file` to the PEM `pem`. */
async function embed(file: string, path: (string | number)[], pem: string): Promise<void> {
  const doc = parseDocument(await readFile(file, 'utf8'));
  doc.setIn(path, Buffer.from(pem).toString('base64'));
  await writeFile(file, doc.toString({ lineWidth: 0 }));
}

describe('inventory of a rendered asset dir', () => {
  it('lists every certificate under tls/ with its signer', async () => {
    const inv = await inventory(assets);
    const tls = inv.certificates.filter((c) => c.source === 'tls');
    const files = await readdir(join(assets, 'tls'), { recursive: true });
    const crts = files
      .filter((f) => f.endsWith('.crt'))
      .map((f) => `tls/${f}`)
      .sort();
    assert.deepEqual(tls.map((c) => c.path).sort(), crts);
    const signer = Object.fromEntries(tls.map((c) => [c.name, c.signedBy]));
    assert.equal(signer['apiserver'], 'ca');
    assert.equal(signer['front-proxy-client'], 'front-proxy-ca');
    assert.equal(signer['etcd/peer'], 'etcd/ca');
    assert.equal(signer['apiserver-etcd-client'], 'etcd/ca');
    assert.equal(signer['ca'], undefined, 'a CA signs itself: no signer');
  });

  it('finds the copies in kubeconfigs and Secrets (nested kubeconfigs too), each equal to its tls/ file', async () => {
    const copies = (await inventory(assets)).certificates.filter((c) => c.source !== 'tls');
    const byName = Object.fromEntries(copies.map((c) => [c.name, c]));
    const expect: Record<string, string> = {
      'auth/kubeconfig clusters[bootkube].certificate-authority-data': 'tls/ca.crt',
      'auth/kubeconfig users[admin].client-certificate-data': 'tls/admin.crt',
      'auth/kubeconfig-kubelet users[kubelet].client-certificate-data': 'tls/kubelet.crt',
      'auth/kubeconfig-controller-manager users[kube-controller-manager].client-certificate-data':
        'tls/kube-controller-manager.crt',
      'auth/kubeconfig-scheduler users[kube-scheduler].client-certificate-data': 'tls/kube-scheduler.crt',
      'manifests/kube-apiserver-secret.yaml data[apiserver.crt]': 'tls/apiserver.crt',
      'manifests/kube-apiserver-secret.yaml data[etcd-ca.crt]': 'tls/etcd/ca.crt',
      'manifests/kube-apiserver-secret.yaml data[front-proxy-client.crt]': 'tls/front-proxy-client.crt',
      'manifests/kube-apiserver-secret.yaml data[apiserver-etcd-client.crt]': 'tls/apiserver-etcd-client.crt',
      'manifests/kube-scheduler-secret.yaml data[kube-scheduler.kubeconfig] users[kube-scheduler].client-certificate-data':
        'tls/kube-scheduler.crt',
      'manifests/kube-controller-manager-secret.yaml data[kube-controller-manager.kubeconfig] clusters[bootkube].certificate-authority-data':
        'tls/ca.crt',
    };
    for (const [name, tls] of Object.entries(expect)) {
      assert.ok(byName[name], `no copy ${name}; have ${Object.keys(byName).join(' | ')}`);
      assert.equal(byName[name]!.copyOf, tls, name);
    }
    assert.equal(
      copies.length,
      23,
      '2 in each of 4 kubeconfigs, 7 in the apiserver Secret, 4 in each of the other two',
    );
    assert.ok(
      copies.every((c) => c.differs === false),
      'a fresh render has no stale copy',
    );
  });

  it('reports a copy that differs from its tls/ file, and one that copies nothing', async () => {
    const dir = await copy('stale');
    const otherAdmin = await readFile(join(other, 'tls/admin.crt'), 'utf8');
    const otherApiserver = await readFile(join(other, 'tls/apiserver.crt'), 'utf8');
    await embed(join(dir, 'auth/kubeconfig'), ['users', 0, 'user', 'client-certificate-data'], otherAdmin);
    await embed(join(dir, 'manifests/kube-apiserver-secret.yaml'), ['data', 'apiserver.crt'], otherApiserver);
    await mkdir(join(work, 'stranger'));
    openssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '3',
      '-subj',
      '/CN=stranger',
      '-keyout',
      join(work, 'stranger/k.pem'),
      '-out',
      join(work, 'stranger/c.pem'),
    );
    await embed(
      join(dir, 'auth/kubeconfig-kubelet'),
      ['clusters', 0, 'cluster', 'certificate-authority-data'],
      await readFile(join(work, 'stranger/c.pem'), 'utf8'),
    );

    const r = await checkExpiration(dir, new Date());
    const differing = r.certificates.filter((c) => c.differs);
    assert.deepEqual(
      differing.map((c) => [c.name, c.copyOf]),
      [
        ['auth/kubeconfig users[admin].client-certificate-data', 'tls/admin.crt'],
        ['auth/kubeconfig-kubelet clusters[bootkube].certificate-authority-data', undefined],
        ['manifests/kube-apiserver-secret.yaml data[apiserver.crt]', 'tls/apiserver.crt'],
      ],
    );
    assert.ok(
      r.warnings.includes(
        'auth/kubeconfig users[admin].client-certificate-data differs from tls/admin.crt: renewing admin rewrites it from tls/.',
      ),
      r.warnings.join('\n'),
    );
    assert.ok(
      r.warnings.some((w) =>
        w.startsWith(
          'auth/kubeconfig-kubelet clusters[bootkube].certificate-authority-data is not a copy of any certificate under tls/',
        ),
      ),
      r.warnings.join('\n'),
    );
    assert.ok(
      r.warnings.some((w) => w.includes('certificate-authority-data expires in 2 days')),
      'a differing copy has its own expiry',
    );
    assert.deepEqual(r.failing, [], 'nothing has expired');
    const within30d = await checkExpiration(dir, new Date(), { text: '30d', ms: 30 * 86400e3 });
    assert.ok(
      within30d.failing.includes('auth/kubeconfig-kubelet clusters[bootkube].certificate-authority-data'),
      'the differing copy fails --fail-within on its own',
    );
  });

  it('refuses a missing asset dir, one without tls/, and a certificate that does not parse, naming the file', async () => {
    await assert.rejects(
      inventory(join(work, 'none')),
      (e: Error & { code?: string }) =>
        e.code === 'CERTS_ASSET_DIR_INVALID' && /--asset-dir .*none: does not exist/.test(e.message),
    );
    await mkdir(join(work, 'empty'));
    await assert.rejects(
      inventory(join(work, 'empty')),
      (e: Error & { code?: string }) =>
        e.code === 'CERTS_ASSET_DIR_INVALID' && /holds no certificates under tls\//.test(e.message),
    );
    const dir = await copy('garbage');
    await writeFile(join(dir, 'tls/apiserver.crt'), 'hello\n');
    await assert.rejects(
      inventory(dir),
      (e: Error & { code?: string }) =>
        e.code === 'PKI_BAD_PEM' && e.message.startsWith('tls/apiserver.crt:'),
    );
  });
});
