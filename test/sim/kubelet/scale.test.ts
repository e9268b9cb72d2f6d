// A scale smoke test small enough for CI: 50 simulated nodes in this one process, at 20× speed,
// against the API shim. Every node becomes Ready, keeps renewing its lease, and runs the pod bound
// to it; the 1000-node, 5-minute run is test/bench/simulate.ts.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nodeNames, SimCluster } from '../../../src/sim/cluster.js';
import { ApiClient } from '../../../src/sim/kubelet/api-client.js';
import { RealClock } from '../../../src/sim/kubelet/clock.js';
import { eventually, renderOnce, startShim, type Rendered, type Shim } from './support.js';

const NODES = 50;
let r: Rendered;
let shim: Shim;
let cluster: SimCluster;
let admin: ApiClient;

before(async () => {
  r = await renderOnce();
  shim = await startShim(r);
  admin = new ApiClient({ nodeName: 'test', ...shim.admin });
  cluster = new SimCluster({ credentials: shim.admin, names: nodeNames('scale-', NODES), masters: 3, rootDir: await mkdtemp(join(r.work, 'scale-')), clock: new RealClock(20), startRate: 500 });
});

after(async () => {
  await cluster?.stop();
  admin?.closeIdle(true);
  await shim?.destroy();
});

describe(`${NODES} simulated nodes on one event loop`, () => {
  it('all become Ready and run their pods', async () => {
    await cluster.start();
    await eventually(() => cluster.stats().ready === NODES, 90_000, `${NODES} nodes Ready`);
    for (let i = 0; i < NODES; i++) {
      const body = { apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${i}`, namespace: 'default' }, spec: { nodeName: `scale-${i}`, automountServiceAccountToken: false, containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] } };
      assert.equal((await admin.request('kube', 'POST', '/api/v1/namespaces/default/pods', { body })).status, 201);
    }
    await eventually(() => cluster.stats().running === NODES, 90_000, `${NODES} pods Running`);
  });

  it('keeps every node Ready and every lease fresh', async () => {
    const t0 = Date.now();
    // Every lease renewed after t0 (a renew interval is 10 s of kubelet time, 0.5 s here; a loaded
    // machine may need a few), and every node still Ready.
    await new Promise((res) => setTimeout(res, 1200));
    await eventually(
      async () => {
        const leases = (await admin.request('kube', 'GET', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases')).body.items as any[];
        return leases.length === NODES && leases.every((l) => Date.parse(l.spec.renewTime) >= t0);
      },
      30_000,
      'every lease renewed',
    );
    await eventually(() => cluster.stats().ready === NODES, 30_000, `${NODES} nodes Ready`);
    const stats = cluster.stats();
    assert.ok(stats.requestsPerSecond > NODES, `${stats.requestsPerSecond} req/s: at least a renewal per node per half second`);
    const nodes = (await admin.request('kube', 'GET', '/api/v1/nodes?labelSelector=node-role.kubernetes.io%2Fcontrol-plane')).body.items;
    assert.equal(nodes.length, 3, 'three masters labelled');
  });
});
