/**
 * The on-disk layout under a root prefix: modes and owners, atomic replacement, leftovers of killed
 * writes cleaned, unparsable and foreign files tolerated.
 */
import type { V1Pod } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TEMP_MARKER } from '../../src/fs/atomic-file.js';
import { sanitizeCheckpointPod } from '../../src/checkpointer/sanitize.js';
import { CheckpointStore, storeLayout } from '../../src/checkpointer/store.js';
import { ANNOTATIONS } from '../../src/render/constants.js';

const asRoot = process.getuid?.() === 0;
let root: string;
let store: CheckpointStore;
const warnings: string[] = [];
let wall = Date.now();

const parent = (name: string, image = 'img:1'): V1Pod => ({
  metadata: {
    name,
    namespace: 'kube-system',
    uid: `uid-${name}`,
    annotations: { [ANNOTATIONS.checkpoint]: 'true' },
  },
  spec: { containers: [{ name: 'c', image }] },
});
const checkpoint = (name: string, image?: string) => sanitizeCheckpointPod(parent(name, image)).manifest;
const mode = async (p: string) => (await stat(p)).mode & 0o777;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'checkpoint-store-'));
  store = new CheckpointStore(storeLayout(root), {
    log: { info() {}, warn: (m) => warnings.push(m) },
    wallClock: () => wall,
  });
  await store.init();
});
after(() => rm(root, { recursive: true, force: true }));

describe('checkpoint store', () => {
  it('puts every dir under the root prefix, its own dirs 0700', async () => {
    assert.deepEqual(storeLayout(root), {
      staticPods: join(root, 'etc/kubernetes/manifests'),
      inactive: join(root, 'etc/kubernetes/inactive-manifests'),
      secrets: join(root, 'etc/kubernetes/checkpoint-secrets'),
      configMaps: join(root, 'etc/kubernetes/checkpoint-configmaps'),
    });
    for (const d of ['inactive', 'secrets', 'configMaps'] as const)
      assert.equal(await mode(store.layout[d]), 0o700, d);
    assert.deepEqual(await readdir(join(root, 'etc/kubernetes')), [
      'checkpoint-configmaps',
      'checkpoint-secrets',
      'inactive-manifests',
      'manifests',
    ]);
  });

  it('writes an inactive manifest 0600 only when its bytes change, and starts and stops it', async () => {
    assert.equal(await store.writeInactive(checkpoint('a')), true);
    assert.equal(await store.writeInactive(checkpoint('a')), false);
    const path = join(store.layout.inactive, 'kube-system-a.json');
    assert.equal(await mode(path), 0o600);
    assert.equal(await store.start('kube-system/a'), 'written');
    assert.equal(await store.start('kube-system/a'), 'unchanged');
    const active = join(store.layout.staticPods, 'kube-system-a.json');
    assert.equal(await readFile(active, 'utf8'), await readFile(path, 'utf8'));
    assert.equal(await mode(active), 0o600);
    assert.deepEqual([...(await store.readActive()).keys()], ['kube-system/a']);
    assert.equal(await store.stop('kube-system/a'), true);
    assert.equal(await store.stop('kube-system/a'), false);
    assert.equal(await store.start('kube-system/none'), 'missing');
  });

  it('cleans leftovers of killed writes in its own dir; in the kubelet dir only old ones', async () => {
    await writeFile(join(store.layout.inactive, `.kube-system-a.json${TEMP_MARKER}123-abcd`), '{"half');
    const young = join(store.layout.staticPods, `.kube-system-a.json${TEMP_MARKER}77-aaaa`);
    const old = join(store.layout.staticPods, `.kube-system-b.json${TEMP_MARKER}78-bbbb`);
    await writeFile(young, '{');
    await writeFile(old, '{');
    wall = Date.now();
    await utimes(old, new Date(wall - 120_000), new Date(wall - 120_000));
    assert.deepEqual([...(await store.readInactive()).keys()], ['kube-system/a']);
    await store.readActive();
    assert.deepEqual(
      (await readdir(store.layout.inactive)).filter((n) => n.startsWith('.')),
      [],
    );
    assert.deepEqual(
      (await readdir(store.layout.staticPods)).filter((n) => n.startsWith('.')),
      [`.kube-system-a.json${TEMP_MARKER}77-aaaa`],
    );
    await rm(young);
  });

  it('skips (and reports once) a file that does not parse; leaves other static pods alone', async () => {
    await writeFile(
      join(store.layout.inactive, 'kube-system-broken.json'),
      '{"apiVersion": "v1", "kind": "Pod", "meta',
    );
    await writeFile(
      join(store.layout.staticPods, 'etcd.yaml'),
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: etcd\n',
    );
    await writeFile(join(store.layout.staticPods, 'kube-system-c.json'), JSON.stringify(parent('c')));
    await store.writeInactive(checkpoint('c'));
    warnings.length = 0;
    assert.deepEqual([...(await store.readInactive()).keys()].sort(), ['kube-system/a', 'kube-system/c']);
    await store.readInactive();
    assert.equal(
      warnings.filter((w) => w.includes('kube-system-broken.json') && w.includes('cannot be parsed')).length,
      1,
    );
    assert.deepEqual([...(await store.readActive()).keys()], []);
    // A static pod that is not a checkpoint is never overwritten or deleted.
    assert.equal(await store.start('kube-system/c'), 'missing');
    assert.equal(await store.stop('kube-system/c'), false);
    assert.deepEqual(
      JSON.parse(await readFile(join(store.layout.staticPods, 'kube-system-c.json'), 'utf8')),
      parent('c'),
    );
    await rm(join(store.layout.staticPods, 'kube-system-c.json'));
    await rm(join(store.layout.inactive, 'kube-system-broken.json'));
  });

  it('writes checkpoint dirs: files 0600, dirs 0700, owned by the pod user; stale keys and dirs go', async () => {
    const owner = { uid: 65534, gid: 65534 };
    const files = (o: Record<string, string>) =>
      new Map(Object.entries(o).map(([k, v]) => [k, Buffer.from(v)]));
    const n = await store.writeDirs(
      'kube-system/a',
      [
        { root: 'secrets', name: 'tls', files: files({ 'tls.key': 'k1', 'tls.crt': 'c1' }) },
        { root: 'secrets', name: '_volume-picked', files: files({ 'pki/ca.pem': 'ca' }) },
        { root: 'configmaps', name: 'cfg', files: files({ mode: 'fast' }) },
      ],
      owner,
    );
    assert.equal(n, 4);
    const s = join(store.layout.secrets, 'kube-system/a');
    for (const f of ['tls/tls.key', 'tls/tls.crt', '_volume-picked/pki/ca.pem']) {
      const st = await stat(join(s, f));
      assert.equal(st.mode & 0o777, 0o600, f);
      if (asRoot) assert.deepEqual([st.uid, st.gid], [65534, 65534], f);
    }
    for (const d of ['tls', '_volume-picked', '_volume-picked/pki']) {
      const st = await stat(join(s, d));
      assert.equal(st.mode & 0o777, 0o700, d);
      if (asRoot) assert.equal(st.uid, 65534, d);
    }
    assert.equal(await readFile(join(store.layout.configMaps, 'kube-system/a/cfg/mode'), 'utf8'), 'fast');
    // Same content: nothing rewritten. A key and a volume gone: their files go.
    assert.equal(
      await store.writeDirs(
        'kube-system/a',
        [{ root: 'secrets', name: 'tls', files: files({ 'tls.key': 'k2' }) }],
        owner,
      ),
      1,
    );
    assert.deepEqual(await readdir(s), ['tls']);
    assert.deepEqual(await readdir(join(s, 'tls')), ['tls.key']);
    assert.equal(await readFile(join(s, 'tls/tls.key'), 'utf8'), 'k2');
    await assert.rejects(stat(join(store.layout.configMaps, 'kube-system/a')));
    assert.equal((await store.readDirFile('secrets', 'kube-system/a', 'tls', 'tls.key'))?.toString(), 'k2');
  });

  it('removes everything of a checkpoint', async () => {
    await store.start('kube-system/a');
    await store.remove('kube-system/a');
    await assert.rejects(stat(join(store.layout.secrets, 'kube-system/a')));
    assert.deepEqual([...(await store.readInactive()).keys()], ['kube-system/c']);
    assert.deepEqual([...(await store.readActive()).keys()], []);
  });
});
