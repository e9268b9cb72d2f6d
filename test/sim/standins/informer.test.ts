// The stand-ins' informer across an API hand-off: a watch cut by the old server resumes against
// the new one, whose watch cache starts at the current revision, gets 410 Expired, relists, and
// the handlers see exactly what changed meanwhile. The servers share one storage and sit behind
// one address (a TCP forwarder that holds connections during the switch), as on a master.
import assert from 'node:assert/strict';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { readFile } from 'node:fs/promises';
import { createApiServer, listen, type ShimServer } from '../../../src/apiserver/index.js';
import { MemoryStorage } from '../../../src/apiserver/storage/index.js';
import { KubeClient, type KObj } from '../../../src/sim/standins/client/client.js';
import { loadKubeconfig } from '../../../src/sim/standins/client/kubeconfig.js';
import { Informer } from '../../../src/sim/standins/client/informer.js';
import { waitFor } from '../../helpers/wait.js';
import { adminClient } from './cluster.js';
import { renderNode, type RenderedNode } from './support.js';

let node: RenderedNode;
const storage = new MemoryStorage();
const servers: ShimServer[] = [];
let target: number | undefined;
const held: Socket[] = [];
const proxied = new Set<Socket>();
function forward(client: Socket, port: number): void {
  const upstream = connect(port, '127.0.0.1');
  proxied.add(client).add(upstream);
  const drop = (): void => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', drop).on('close', drop).pipe(upstream);
  upstream.on('error', drop).on('close', drop).pipe(client);
}
/** Sends new connections to `port`, and the ones held meanwhile; undefined holds them. */
function switchTo(port: number | undefined): void {
  target = port;
  if (port !== undefined) for (const c of held.splice(0)) forward(c, port);
}
const proxy = createServer((client) => (target === undefined ? held.push(client) : forward(client, target)));

async function startServer(): Promise<number> {
  const tls = (f: string) => readFile(`${node.assetDir}/tls/${f}`);
  const server = await createApiServer({
    storage,
    tlsCert: await tls('apiserver.crt'),
    tlsKey: await tls('apiserver.key'),
    clientCa: await tls('ca.crt'),
    mode: 'standalone',
  });
  servers.push(server);
  return (await listen(server, { host: '127.0.0.1', port: 0 })).port;
}

before(async () => {
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  const port = (proxy.address() as AddressInfo).port;
  node = await renderNode({
    nodeName: 'n',
    apiServer: `https://127.0.0.1:${port}`,
    etcdServer: 'http://127.0.0.1:2379',
  });
});

after(async () => {
  for (const s of servers) await s.close();
  for (const s of proxied) s.destroy();
  await new Promise((r) => proxy.close(r));
  await storage.close();
  await node.cleanup();
});

describe('informer', () => {
  it('relists after 410 across a hand-off and reports what was missed', async () => {
    switchTo(await startServer());
    const admin: KubeClient = await adminClient(node);
    const cm = (name: string, v = '1') => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: 'default', labels: { test: 'informer' } },
      data: { v },
    });
    await admin.create('/api/v1/namespaces/default/configmaps', cm('kept'));
    await admin.create('/api/v1/namespaces/default/configmaps', cm('gone'));
    const seen: string[] = [];
    const logs: string[] = [];
    const informer = new Informer(admin, {
      path: '/api/v1/configmaps',
      labelSelector: 'test=informer',
      backoff: { minMs: 20, maxMs: 100 },
      log: (l) => logs.push(l),
    });
    informer.addHandler({
      add: (o: KObj) => seen.push(`add ${o.metadata.name}`),
      update: (_: KObj, o: KObj) => seen.push(`update ${o.metadata.name}=${o.data.v}`),
      delete: (o: KObj) => seen.push(`delete ${o.metadata.name}`),
    });
    const stop = new AbortController();
    const running = informer.run(stop.signal);
    try {
      await informer.synced;
      assert.deepEqual(seen.sort(), ['add gone', 'add kept']);
      seen.length = 0;

      // The hand-off: the first server goes (its watch cut, the informer's next request held), the
      // world changes meanwhile, and the next server starts at the revision after those changes.
      admin.close();
      switchTo(undefined);
      await servers[0]!.close();
      for (const s of proxied) s.destroy();
      const writer = new KubeClient({
        ...(await loadKubeconfig(`${node.assetDir}/auth/kubeconfig`)),
        server: `https://127.0.0.1:${await startServer()}`,
      });
      await writer.update('/api/v1/namespaces/default/configmaps/kept', {
        ...(await writer.get('/api/v1/namespaces/default/configmaps/kept')),
        data: { v: '2' },
      });
      await writer.delete('/api/v1/namespaces/default/configmaps/gone');
      await writer.create('/api/v1/namespaces/default/configmaps', cm('new'));
      writer.close();
      switchTo(await startServer());

      await waitFor(() => seen.length === 3, {
        timeoutMs: 5000,
        what: `the relist (seen ${seen.join(', ')})`,
      });
      assert.deepEqual(seen.sort(), ['add new', 'delete gone', 'update kept=2']);
      assert.deepEqual(logs, [], 'the 410 is a relist, no failure to back off from');
      assert.deepEqual(
        informer
          .list()
          .map((o) => o.metadata.name)
          .sort(),
        ['kept', 'new'],
      );
    } finally {
      stop.abort();
      await running;
    }
  });
});
