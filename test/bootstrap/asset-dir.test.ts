import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AssetDirError } from '../../src/bootstrap/errors.js';
import { loadAssetDir } from '../../src/bootstrap/asset-dir.js';
import { installBootstrapSecrets } from '../../src/bootstrap/host-paths.js';
import { loadClusterConfig } from '../../src/config/index.js';
import { render } from '../../src/render/render.js';

let work: string;
let assets: string;

async function renderInto(dir: string, extra: Record<string, string> = {}): Promise<void> {
  const config = await loadClusterConfig({
    flags: { 'key-type': 'ecdsa-p256', 'node-name': 'master-0', ...extra },
    bootkubeVersion: '0.0.0',
  });
  await render({ config, assetDir: dir, force: false });
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'asset-dir-'));
  assets = join(work, 'assets');
  await renderInto(assets, { 'network-provider': 'calico' });
});
after(() => rm(work, { recursive: true, force: true }));

/** A copy of the rendered asset dir to break in one way. */
async function copy(name: string): Promise<string> {
  const dir = join(work, name);
  await cp(assets, dir, { recursive: true });
  return dir;
}

describe('loading an asset dir', () => {
  it('reads the API address, the bootstrap pods and the manifests in creation order', async () => {
    const a = await loadAssetDir(assets);
    assert.equal(a.apiServer.href, 'https://127.0.0.1:6443/');
    assert.deepEqual(a.bootstrapPods.map((p) => p.object.metadata.name).sort(), [
      'bootstrap-kube-apiserver',
      'bootstrap-kube-controller-manager',
      'bootstrap-kube-scheduler',
    ]);
    const kinds = a.manifests.map((m) => m.object.kind);
    const firstOther = kinds.findIndex((k) => k !== 'Namespace' && k !== 'CustomResourceDefinition');
    assert.ok(kinds.includes('CustomResourceDefinition'), 'calico brings CRDs');
    assert.ok(
      kinds.slice(firstOther).every((k) => k !== 'CustomResourceDefinition' && k !== 'Namespace'),
      'namespaces and CRDs come first',
    );
  });

  it('gathers every secret file a bootstrap pod names', async () => {
    const a = await loadAssetDir(assets);
    const named = new Set<string>();
    for (const pod of a.bootstrapPods) {
      for (const m of JSON.stringify(pod.object).matchAll(/\/etc\/kubernetes\/secrets\/([\w.-]+)/g))
        named.add(m[1]!);
    }
    assert.ok(named.size > 5);
    for (const name of named) assert.ok(a.bootstrapSecrets.has(name), `bootstrap-secrets lacks ${name}`);
  });

  it('installs bootstrap-secrets as a 0700 dir of 0600 files, replacing an older set', async () => {
    const a = await loadAssetDir(assets);
    const root = join(work, 'root');
    const dir = await installBootstrapSecrets(a, root);
    assert.equal(dir, join(root, 'etc/kubernetes/bootstrap-secrets'));
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    const names = await readdir(dir);
    assert.deepEqual(names.sort(), [...a.bootstrapSecrets.keys()].sort());
    for (const n of names) assert.equal((await stat(join(dir, n))).mode & 0o777, 0o600, n);
    await writeFile(join(dir, 'stale'), 'x');
    await installBootstrapSecrets(a, root);
    assert.ok(!(await readdir(dir)).includes('stale'));
    assert.deepEqual(await readFile(join(dir, 'ca.crt')), a.bootstrapSecrets.get('ca.crt'));
  });

  it('ignores editor leftovers and hidden files under manifests/', async () => {
    const dir = await copy('hidden');
    await writeFile(join(dir, 'manifests', '.kube-apiserver.yaml.swp'), '\0garbage');
    await loadAssetDir(dir);
  });
});

describe('a broken asset dir is refused with one line naming the file', () => {
  const cases: Array<[string, (dir: string) => Promise<void>, RegExp, Date?]> = [
    ['a missing CA', (d) => rm(join(d, 'tls/ca.crt')), /tls\/ca\.crt is missing/],
    [
      'a kubeconfig from another render',
      async (d) => {
        const other = join(work, `other-${Date.now()}`);
        await renderInto(other);
        await cp(join(other, 'auth/kubeconfig'), join(d, 'auth/kubeconfig'));
      },
      /auth\/kubeconfig: trusts another CA than tls\/ca\.crt/,
    ],
    [
      'a manifest without a name',
      (d) => writeFile(join(d, 'manifests/extra.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n'),
      /manifests\/extra\.yaml: document 1 lacks/,
    ],
    [
      'an empty manifest file',
      (d) => writeFile(join(d, 'manifests/empty.yaml'), '# nothing\n'),
      /manifests\/empty\.yaml: holds no object/,
    ],
    [
      'a manifest that does not parse',
      (d) => writeFile(join(d, 'manifests/bad.yaml'), 'a: [\n'),
      /manifests\/bad\.yaml: does not parse/,
    ],
    ['a swapped key', (d) => cp(join(d, 'tls/admin.key'), join(d, 'tls/kubelet.key')), /kubelet/],
    [
      'no bootstrap pods',
      (d) => rm(join(d, 'bootstrap-manifests'), { recursive: true }),
      /bootstrap-manifests\/ is missing or empty/,
    ],
    ['expired certificates', async () => {}, /expired/, new Date(Date.now() + 400 * 86400_000)],
  ];
  for (const [name, breakIt, pattern, now] of cases) {
    it(name, async () => {
      const dir = await copy(name.replace(/\W+/g, '-'));
      await breakIt(dir);
      await assert.rejects(loadAssetDir(dir, now), (err: unknown) => {
        assert.ok(err instanceof AssetDirError, String(err));
        assert.match(err.userMessage(), pattern);
        assert.ok(!err.userMessage().includes('\n'));
        return true;
      });
    });
  }
});
