// @kubernetes/client-node against the shim on real etcd: an informer stays in sync through a
// thousand changes, and relists after its resourceVersion falls out of the watch window (410).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, KubeConfig, makeInformer, type V1Pod } from '@kubernetes/client-node';
import { startEtcd, type EtcdHandle } from '../../helpers/etcd.js';
import { createStorage, type Storage } from '../../../src/apiserver/storage/index.js';
import { eventually, renderAssets, startShim, type Assets, type Client, type Shim } from './support.js';

let etcd: EtcdHandle;
let storage: Storage;
let assets: Assets;

before(async () => {
  [etcd, assets] = await Promise.all([startEtcd(), renderAssets()]);
  storage = await createStorage({ backend: 'etcd', endpoints: [etcd.endpoint] });
});

after(async () => {
  await storage?.close();
  await etcd?.stop();
  await assets?.cleanup();
});

function kubeConfig(port: number): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      { name: 'c', server: `https://127.0.0.1:${port}`, caData: Buffer.from(assets.ca).toString('base64') },
    ],
    users: [
      {
        name: 'u',
        certData: Buffer.from(assets.admin.cert).toString('base64'),
        keyData: Buffer.from(assets.admin.key).toString('base64'),
      },
    ],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

function pod(name: string, labels: Record<string, string> = {}): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { containers: [{ name: 'c', image: 'pause' }] },
  };
}

/** Runs fn over items, `width` at a time. */
async function pool<T>(items: T[], width: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

async function serverState(admin: Client, ns: string): Promise<Map<string, string>> {
  const r = await admin.get(`/api/v1/namespaces/${ns}/pods`);
  return new Map(r.json.items.map((p: any) => [p.metadata.name, p.metadata.resourceVersion]));
}

function informerState(list: readonly V1Pod[]): Map<string, string> {
  return new Map(list.map((p) => [p.metadata!.name!, p.metadata!.resourceVersion!]));
}

describe('a client-node informer', () => {
  let shim: Shim;
  let admin: Client;

  before(async () => {
    shim = await startShim(assets, storage, { watch: { cacheCapacity: 200 } });
    admin = shim.client(assets.admin);
    assert.equal(
      (
        await admin.post('/api/v1/namespaces', {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: 'inf' },
        })
      ).status,
      201,
    );
  });
  after(async () => {
    admin?.close();
    await shim?.close();
  });

  it('stays in sync through 1000 changes', async () => {
    const api = kubeConfig(shim.port).makeApiClient(CoreV1Api);
    const informer = makeInformer(kubeConfig(shim.port), '/api/v1/namespaces/inf/pods', () =>
      api.listNamespacedPod({ namespace: 'inf' }),
    );
    const errors: unknown[] = [];
    informer.on('error', (e) => errors.push(e));
    await informer.start();
    try {
      const names = Array.from({ length: 400 }, (_, i) => `p-${i}`);
      await pool(names, 16, async (n) =>
        assert.equal((await admin.post('/api/v1/namespaces/inf/pods', pod(n))).status, 201),
      );
      await pool(names, 16, async (n) => {
        const r = await admin.patch(
          `/api/v1/namespaces/inf/pods/${n}`,
          { metadata: { labels: { round: '1' } } },
          'application/merge-patch+json',
        );
        assert.equal(r.status, 200, r.text);
      });
      await pool(names.slice(0, 200), 16, async (n) =>
        assert.equal((await admin.delete(`/api/v1/namespaces/inf/pods/${n}`)).status, 200),
      );
      const want = await serverState(admin, 'inf');
      assert.equal(want.size, 200);
      await eventually(
        () =>
          JSON.stringify([...informerState(informer.list('inf'))].sort()) ===
          JSON.stringify([...want].sort()),
        20_000,
        'the informer to match the server',
      );
      assert.deepEqual(errors, []);
    } finally {
      await informer.stop();
    }
  });

  it('relists when its watch resumes from a resourceVersion the server no longer has (410)', async () => {
    const api = kubeConfig(shim.port).makeApiClient(CoreV1Api);
    let lists = 0;
    const informer = makeInformer(
      kubeConfig(shim.port),
      '/api/v1/namespaces/inf/pods',
      () => (lists++, api.listNamespacedPod({ namespace: 'inf' })),
    );
    await informer.start();
    await eventually(() => informer.list('inf').length === 200, 10_000, 'the first list');
    assert.equal(lists, 1);
    await informer.stop();
    // More changes than the watch window holds, then compact etcd too: the informer's
    // resourceVersion is gone from both.
    await pool(
      Array.from({ length: 300 }, (_, i) => i),
      16,
      async (i) => {
        const r = await admin.patch(
          `/api/v1/namespaces/inf/pods/p-${200 + (i % 200)}`,
          { metadata: { labels: { round: String(i) } } },
          'application/merge-patch+json',
        );
        assert.equal(r.status, 200, r.text);
      },
    );
    await storage.compact(await storage.currentRevision());
    const stale = (informer as unknown as { latestResourceVersion(): string }).latestResourceVersion();
    const direct = await admin.watch(`/api/v1/namespaces/inf/pods?watch=true&resourceVersion=${stale}`);
    const [ev] = await direct.until((e) => e.length > 0);
    assert.equal(ev!.type, 'ERROR');
    assert.equal(ev!.object.code, 410);
    assert.equal(ev!.object.reason, 'Expired');
    assert.match(ev!.object.message, new RegExp(`^too old resource version: ${stale} \\(\\d+\\)$`));
    await direct.waitEnd();
    await informer.start();
    try {
      await eventually(() => lists === 2, 10_000, 'a relist');
      const want = await serverState(admin, 'inf');
      await eventually(
        () =>
          JSON.stringify([...informerState(informer.list('inf'))].sort()) ===
          JSON.stringify([...want].sort()),
        10_000,
        'the informer to match the server after the relist',
      );
    } finally {
      await informer.stop();
    }
  });

  it('relists once after a hand-off to a new server on the same etcd', async () => {
    const port = shim.port;
    const api = () => kubeConfig(port).makeApiClient(CoreV1Api);
    let lists = 0;
    const informer = makeInformer(
      kubeConfig(port),
      '/api/v1/namespaces/inf/pods',
      () => (lists++, api().listNamespacedPod({ namespace: 'inf' })),
    );
    // The JavaScript informer stops on a connection error; a caller restarts it, as start() does.
    let done = false;
    let restart: NodeJS.Timeout | undefined;
    informer.on('error', () => {
      if (done) return;
      clearTimeout(restart);
      restart = setTimeout(() => void (done || informer.start()), 50);
    });
    await informer.start();
    await eventually(() => lists === 1 && informer.list('inf').length === 200, 10_000, 'the first list');
    admin.close();
    await shim.close();
    assert.equal(shim.server.connectionCount(), 0, 'close() leaves no connection open');
    // Written while no API server runs: the next server's watch window starts after it.
    const key = '/registry/pods/inf/p-399';
    const cur = (await storage.get(key))!;
    await storage.update(
      key,
      { ...cur.object, metadata: { ...cur.object.metadata, labels: { handed: 'off' } } } as never,
      { expectedRevision: cur.revision },
    );
    shim = await startShim(assets, storage, {}, port);
    admin = shim.client(assets.admin);
    try {
      await eventually(() => lists >= 2, 15_000, 'a relist against the new server');
      await eventually(
        () => informer.get('p-399', 'inf')?.metadata?.labels?.handed === 'off',
        10_000,
        'the change made during the hand-off',
      );
    } finally {
      // A restart scheduled by the error handler must not fire after stop(): it would leave a live
      // informer (and its connections) behind, and the test process would never exit.
      done = true;
      clearTimeout(restart);
      await informer.stop();
    }
  });
});
