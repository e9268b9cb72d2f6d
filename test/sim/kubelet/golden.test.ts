// The golden run: one simulated node against the API shim on a real etcd, with the kubelet
// kubeconfig render wrote (system:node:node-1). It registers, becomes Ready, runs a pod created
// with the real kubectl (kubectl wait --for=condition=Ready), and deletes it gracefully; then the
// whole request log is checked against the kubelet's requests written down as data from the
// reference (kubelet-sequence.ts): every request known, each track in order, the cross-track
// orderings, the headers, the bodies that matter and the lease's timing.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RequestRecord } from '../../../src/sim/kubelet/api-client.js';
import { RealClock } from '../../../src/sim/kubelet/clock.js';
import { SimNode } from '../../../src/sim/node.js';
import { ORDER, RULES, SEQUENCES, type RequestRule } from './kubelet-sequence.js';
import { eventually, NODE, renderOnce, startShim, type Rendered, type Shim } from './support.js';

const SPEED = 10;
let r: Rendered;
let shim: Shim;
let node: SimNode;
const log: RequestRecord[] = [];

before(async () => {
  r = await renderOnce();
  shim = await startShim(r, { etcd: true });
  node = new SimNode({ name: NODE, rootDir: await mkdtemp(join(r.work, 'root-')), credentials: shim.kubelet, clock: new RealClock(SPEED), nodeIP: '10.0.0.10', onRequest: (q) => log.push(q) });
});

after(async () => {
  await node?.stop();
  await shim?.destroy();
  await r?.cleanup();
});

function classify(q: RequestRecord): RequestRule {
  const path = q.path;
  const matches = RULES.filter((rule) => rule.method === q.method && rule.path.test(path) && rule.client === q.client);
  assert.equal(matches.length, 1, `request ${q.client} ${q.method} ${path} matches ${matches.length} rules of the kubelet's requests`);
  return matches[0]!;
}

describe('the golden run', () => {
  it('registers, becomes Ready, runs a kubectl pod to Ready and deletes it gracefully', async () => {
    await node.start();
    await shim.kubectl('wait', '--for=condition=Ready', `node/${NODE}`, '--timeout=20s');
    await shim.kubectl('run', 'web', '--image=nginx:1.27', `--overrides={"spec":{"nodeName":"${NODE}"}}`);
    const waited = await shim.kubectl('wait', '--for=condition=Ready', 'pod/web', '--timeout=20s');
    assert.match(waited.stdout, /pod\/web condition met/);
    const deleted = await shim.kubectl('delete', 'pod', 'web', '--timeout=20s');
    assert.match(deleted.stdout, /pod "web" deleted/);
    // A few more lease renewals, for their timing.
    const renewals = () => log.filter((q) => q.method === 'PUT').length;
    await eventually(() => renewals() >= 4, 15_000, 'four lease renewals');
    await node.kubelet!.exit(0, 'end of the golden run');
  });

  it('made only the kubelet requests, each track in its order', () => {
    const tokens = new Map<string, string[]>();
    for (const q of log) {
      const rule = classify(q);
      tokens.set(rule.track, [...(tokens.get(rule.track) ?? []), `${rule.name}${q.status}`]);
    }
    for (const [track, re] of Object.entries(SEQUENCES)) {
      const seq = (tokens.get(track) ?? []).join(' ');
      assert.match(seq, re, `track ${track}: ${seq}`);
    }
    assert.equal(classify([...log].sort((a, b) => a.at - b.at)[0]!).name, 'NODE_LIST', 'the node informer comes first');
  });

  it('keeps the cross-track orderings', () => {
    const first = (name: string) => log.find((q) => classify(q).name === name)!;
    for (const o of ORDER) {
      const a = first(o.before);
      const b = first(o.after);
      assert.ok(a && b, `${o.before} and ${o.after} both happened`);
      assert.ok((o.kind === 'starts' ? a.at : a.end) <= b.at, `${o.before} ${o.kind} before ${o.after} starts (${o.why})`);
    }
    // Ready only once CSINode is in place (§0.8): the patch that turns Ready True comes after it.
    const csinode = first('CSINODE_CREATE');
    const readyPatch = log.find((q) => classify(q).name === 'NODE_STATUS' && /"reason":"KubeletReady"/.test(q.body ?? ''))!;
    assert.ok(readyPatch && readyPatch.at >= csinode.end, 'Ready after CSINode');
  });

  it('speaks JSON with the kubelet user agent, and strategic merge patches as the kubelet builds them', () => {
    for (const q of log) {
      assert.equal(q.accept, 'application/json, */*');
      assert.match(q.userAgent, /^kubelet\/v1\.32\.\d+ \(linux\/amd64\) kubernetes\/[0-9a-f]{7}$/);
      const rule = classify(q);
      assert.equal(q.contentType, rule.contentType, `${q.method} ${q.path} content type`);
      if (q.watch) {
        const t = Number(/timeoutSeconds=(\d+)/.exec(q.path)![1]);
        assert.ok(t >= (/configmaps/.test(q.path) ? 1800 : 300) && t < (/configmaps/.test(q.path) ? 3600 : 600), `watch timeout ${t}`);
      }
    }
    const statusPatches = log.filter((q) => classify(q).name === 'POD_STATUS').map((q) => JSON.parse(q.body!));
    for (const p of statusPatches) assert.ok(p.metadata.uid, 'every pod status patch carries the UID precondition');
    const running = statusPatches.find((p) => p.status.phase === 'Running')!;
    assert.ok(running['status']['$setElementOrder/conditions'], 'conditions merged by type with $setElementOrder');
    assert.equal(statusPatches.at(-1)!.status.phase, 'Succeeded', 'a deleted pod whose container exited 0 ends Succeeded');
    const del = log.find((q) => q.method === 'DELETE')!;
    assert.deepEqual(JSON.parse(del.body!), { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0, preconditions: { uid: running.metadata.uid } });
    const lease = JSON.parse(log.find((q) => classify(q).name === 'LEASE_CREATE')!.body!);
    assert.match(lease.spec.renewTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, 'MicroTime with six digits');
    assert.equal(lease.spec.leaseDurationSeconds, 40);
    assert.equal(lease.metadata.ownerReferences[0].kind, 'Node');
  });

  it('renews the lease every 10 s of kubelet time (4 % jitter) and registers 100 ms after the start', () => {
    const puts = log.filter((q) => classify(q).name === 'LEASE_RENEW').map((q) => q.at);
    const gaps = puts.slice(1).map((t, i) => (t - puts[i]!) * SPEED);
    // JitterUntil, sliding: the period (plus up to 4 %) runs from the end of the last renewal.
    for (const g of gaps) assert.ok(g >= 9_900 && g <= 13_000, `renewal gap ${g} ms of kubelet time`);
    const start = Math.min(...log.map((q) => q.at));
    const register = log.find((q) => classify(q).name === 'REGISTER')!;
    assert.ok((register.at - start) * SPEED >= 90, 'registerWithAPIServer sleeps 100 ms before its first POST');
  });
});
