// start's idempotent creation of the asset dir's objects, against the API server (memory storage):
// created once, skipped when present, reported (not touched) when different, replaced only when
// asked; kinds the API does not know yet are waited for, refusals are errors naming the file.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemoryStorage } from '../../src/apiserver/storage/index.js';
import { ApiClient } from '../../src/bootstrap/client.js';
import { contains, ensureObject } from '../../src/bootstrap/objects.js';
import { renderAssets, startShim, type Assets, type Shim } from '../apiserver/http/support.js';

describe('ensureObject', () => {
  let assets: Assets;
  let shim: Shim;
  let storage: MemoryStorage;
  let client: ApiClient;

  before(async () => {
    assets = await renderAssets();
    storage = new MemoryStorage();
    shim = await startShim(assets, storage);
    const server = new URL(`https://127.0.0.1:${shim.port}`);
    client = new ApiClient({
      server,
      tls: { ca: assets.ca, cert: assets.admin.cert, key: assets.admin.key },
      headers: {},
    });
  });
  after(async () => {
    client.close();
    await shim.close();
    await storage.close();
    await assets.cleanup();
  });

  const deadline = () => Date.now() + 15_000;
  const configMap = (data: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'settings', namespace: 'kube-system' },
    data,
  });

  it('creates a missing object, then skips it as it is', async () => {
    assert.equal(
      (await ensureObject(client, configMap({ a: '1' }), { deadline: deadline() })).outcome,
      'created',
    );
    const again = await ensureObject(client, configMap({ a: '1' }), { deadline: deadline() });
    assert.deepEqual(again, {
      object: 'ConfigMap kube-system/settings',
      file: undefined,
      outcome: 'skipped',
    });
  });

  it('reports an object that differs and leaves it alone; replaces it only with update', async () => {
    const differs = await ensureObject(client, configMap({ a: '2' }), {
      deadline: deadline(),
      file: 'manifests/settings.yaml',
    });
    assert.equal(differs.outcome, 'differs');
    const live = await client.request('GET', '/api/v1/namespaces/kube-system/configmaps/settings');
    assert.deepEqual(live.body.data, { a: '1' }, 'a differing object was changed without --update-existing');
    assert.equal(
      (await ensureObject(client, configMap({ a: '2' }), { deadline: deadline(), update: true })).outcome,
      'updated',
    );
    const after = await client.request('GET', '/api/v1/namespaces/kube-system/configmaps/settings');
    assert.deepEqual(after.body.data, { a: '2' });
  });

  it('names the file of an object the API refuses', async () => {
    const bad = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'Bad_Name', namespace: 'kube-system' },
      spec: { ports: [{ port: 80 }] },
    };
    await assert.rejects(
      ensureObject(client, bad, { deadline: deadline(), file: 'manifests/bad.yaml' }),
      (err: Error & { code?: string; hint?: string }) => {
        assert.equal(err.code, 'OBJECT_REJECTED', err.message);
        assert.match(err.message, /^creating Service kube-system\/Bad_Name: 422 /);
        assert.equal(err.hint, 'fix manifests/bad.yaml');
        return true;
      },
    );
  });

  it('waits for a kind the API does not serve yet, and gives up at the deadline naming it', async () => {
    const widget = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w', namespace: 'default' },
    };
    await assert.rejects(
      ensureObject(client, widget, { deadline: Date.now() + 500 }),
      /creating Widget default\/w: the API kept answering that it does not know example\.com\/v1 Widget/,
    );
  });

  it('contains(): what the manifest says must be in the live object; defaults may be added', () => {
    assert.ok(contains({ a: 1, b: { c: [1, 2], d: 'x' } }, { b: { c: [1, 2] } }), 'a subset is contained');
    assert.ok(!contains({ b: { c: [1, 2, 3] } }, { b: { c: [1, 2] } }), 'lists must have the same length');
    assert.ok(!contains({ a: '1' }, { a: '2' }), 'a changed value is not contained');
    assert.ok(!contains({}, { a: null }), 'a missing key is not a null');
  });
});
