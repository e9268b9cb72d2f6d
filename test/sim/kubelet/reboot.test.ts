// /pods and reboots. /pods answers only clients with a certificate from the cluster CA, and keeps
// serving the kubelet's cache (API pods included) while the API is unreachable. A reboot kills
// every container; with the API still down only the static pod comes back (from disk); once the
// API answers, the API pod comes back too, with its restart count carried on.
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MemoryStorage } from '../../../src/apiserver/storage/index.js';
import { RealClock } from '../../../src/sim/kubelet/clock.js';
import { SimNode } from '../../../src/sim/node.js';
import { eventually, NODE, renderOnce, startShim, type Rendered, type Shim } from './support.js';

let r: Rendered;
let shim: Shim;
let node: SimNode;
const storage = new MemoryStorage();
const events: string[] = [];

before(async () => {
  r = await renderOnce();
  shim = await startShim(r, { storage });
  const root = await mkdtemp(join(r.work, 'root-'));
  await mkdir(join(root, 'etc/kubernetes/manifests'), { recursive: true });
  await writeFile(join(root, 'etc/kubernetes/manifests/static.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: static\n  namespace: kube-system\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n');
  node = new SimNode({
    name: NODE,
    rootDir: root,
    credentials: shim.kubelet,
    clock: new RealClock(20),
    nodeIP: '10.0.0.10',
    onEvent: (e) => e.type === 'event' && events.push(`${e.reason}: ${e.message}`),
  });
});

after(async () => {
  await node?.stop();
  await shim?.destroy();
  await storage.close();
});

function get(path: string, identity?: { cert: string; key: string }): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    https
      .get({ host: '127.0.0.1', port: node.kubelet!.podsPort, path, rejectUnauthorized: false, ...identity }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: res.headers['content-type']?.startsWith('application/json') ? JSON.parse(text) : text }));
      })
      .on('error', reject);
  });
}

const podsOnNode = async () => ((await get('/pods', shim.admin)).body.items as any[]).map((p) => `${p.metadata.namespace}/${p.metadata.name}:${p.status?.phase}`).sort();
const startedAt = (name: string) => node.runtime.containersOf([...node.kubelet!.podsForServer()].find((p) => p.metadata.name.startsWith(name))!.metadata.uid).find((c) => c.running)?.startedAt;

describe('a simulated node', () => {
  it('serves /pods to cluster-CA clients only', async () => {
    await node.start();
    await shim.kubectl('run', 'web', '--image=nginx:1.27', `--overrides={"spec":{"nodeName":"${NODE}"}}`);
    await eventually(async () => (await podsOnNode()).join() === 'default/web:Running,kube-system/static-node-1:Running', 15_000, 'both pods Running in /pods');
    assert.equal((await get('/pods')).status, 401);
    assert.equal((await get('/pods', shim.kubelet)).status, 200);
    const list = (await get('/pods', shim.admin)).body;
    assert.equal(list.kind, 'PodList');
    const staticPod = list.items.find((p: any) => p.metadata.name === 'static-node-1');
    assert.equal(staticPod.metadata.annotations['kubernetes.io/config.source'], 'file');
    // The mirror pod is the API's copy of it.
    const mirror = JSON.parse((await shim.kubectl('get', 'pod', '-n', 'kube-system', 'static-node-1', '-o', 'json')).stdout);
    assert.equal(mirror.metadata.annotations['kubernetes.io/config.mirror'], staticPod.metadata.annotations['kubernetes.io/config.hash']);
    assert.equal(mirror.metadata.ownerReferences[0].kind, 'Node');
  });

  it('keeps serving its stale cache while the API is unreachable', async () => {
    await shim.close();
    assert.deepEqual(await podsOnNode(), ['default/web:Running', 'kube-system/static-node-1:Running']);
  });

  it('reboots: every pod dies, the static pod comes back from disk, the API pod once the API answers', async () => {
    const before = node.runtime.runningCount();
    assert.equal(before, 2);
    const webUid = node.kubelet!.podsForServer().find((p) => p.metadata.name === 'web')!.metadata.uid;
    await node.reboot();
    // (Right after the reboot the pods' phase is already "Running": restartPolicy Always, containers restarting.)
    await eventually(async () => node.runtime.runningCount() === 1 && (await podsOnNode()).join() === 'kube-system/static-node-1:Running', 10_000, 'the static pod back, alone');
    assert.equal(node.runtime.latest(webUid, 'web')?.running, false, 'the API pod is dead until the API answers');

    const port = shim.port;
    shim = await startShim(r, { storage, port });
    await eventually(async () => node.runtime.runningCount() === 2 && (await podsOnNode()).join() === 'default/web:Running,kube-system/static-node-1:Running', 20_000, 'the API pod back');
    assert.ok(startedAt('static')! < startedAt('web')!, 'static pods first');
    const web = JSON.parse((await shim.kubectl('get', 'pod', 'web', '-o', 'json')).stdout);
    await eventually(async () => {
      const w = JSON.parse((await shim.kubectl('get', 'pod', 'web', '-o', 'json')).stdout);
      return w.status.containerStatuses[0].restartCount === 1 && w.status.containerStatuses[0].lastState.terminated?.exitCode === 255;
    }, 10_000, 'the restart counted, with the dead container as lastState');
    assert.equal(web.metadata.uid, webUid);
    assert.ok(events.some((e) => e.startsWith('SandboxChanged')), 'SandboxChanged event');
    assert.ok(events.some((e) => e.startsWith('Rebooted: Node node-1 has been rebooted, boot id:')), 'Rebooted event');
  });
});
