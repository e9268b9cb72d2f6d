// `bootkube simulate` run as a user would, against the API shim: nodes register and become Ready,
// masters get the control-plane taint and label render's manifests select on, each with its own
// host dirs under --root-dir; --json streams events one per line; bad flags exit 2.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Simulate, { type SimulateResult } from '../../src/commands/simulate.js';
import { runCommand } from '../helpers/run-command.js';
import { renderOnce, startShim, type Rendered, type Shim } from '../sim/kubelet/support.js';

let r: Rendered;
let shim: Shim;

before(async () => {
  r = await renderOnce();
  shim = await startShim(r);
});

after(async () => {
  await shim?.destroy();
  await r?.cleanup();
});

describe('bootkube simulate', () => {
  it('runs nodes and masters until its duration, streaming events with --json', async () => {
    const root = join(r.work, 'sim-root');
    const out = await runCommand(Simulate, ['--kubeconfig', shim.adminKubeconfig, '--nodes', '3', '--masters', '1', '--root-dir', root, '--node-prefix', 'n', '--speed', '20', '--duration', '3', '--json']);
    assert.equal(out.exitCode, 0, out.stderr);
    const lines = out.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const result = lines.at(-1) as SimulateResult;
    assert.equal(result.stoppedBy, 'duration');
    assert.equal(result.stats.ready, 3);
    assert.ok(result.stats.requests > 0);
    assert.ok(lines.some((e) => e.type === 'ready' && e.node === 'n0'));
    assert.ok(lines.some((e) => e.type === 'labelled' && e.node === 'n0'));
    const nodes = JSON.parse((await shim.kubectl('get', 'nodes', '-o', 'json')).stdout).items as any[];
    const master = nodes.find((n) => n.metadata.name === 'n0');
    assert.equal(master.metadata.labels['node-role.kubernetes.io/control-plane'], '');
    assert.deepEqual(master.spec.taints, [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]);
    assert.equal(nodes.find((n) => n.metadata.name === 'n1').spec.taints, undefined);
    assert.deepEqual((await readdir(root)).sort(), ['n0', 'n1', 'n2']);
    assert.ok((await readdir(join(root, 'n0/var/lock/bootkube'))).includes('api-server.lock'));
  });

  it('names a single node after the node certificate of its kubeconfig', async () => {
    const out = await runCommand(Simulate, ['--kubeconfig', shim.kubeletKubeconfig, '--speed', '20', '--duration', '2']);
    assert.equal(out.exitCode, 0, out.stderr);
    assert.match(out.stdout, /Stopped \(duration\) after \d+ s: nodes 1\/1 Ready/);
    await shim.kubectl('get', 'node', 'node-1');
  });

  it('refuses more masters than nodes (exit 2)', async () => {
    const out = await runCommand(Simulate, ['--kubeconfig', shim.adminKubeconfig, '--nodes', '1', '--masters', '2']);
    assert.equal(out.exitCode, 2);
    assert.match(out.stderr, /--masters 2 is more than --nodes 1/);
  });
});
