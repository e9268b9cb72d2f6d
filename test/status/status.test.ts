// `bootkube status` on a rehearsed cluster (start --simulate's pieces: a private etcd, a simulated
// master running the stand-in control plane, the real start sequence): healthy, then with the pod
// checkpointer killed and a checkpoint left active while its parent runs; and bad kubeconfigs.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { copyFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runStart } from '../../src/bootstrap/start.js';
import { freePorts } from '../../src/etcd/local.js';
import Status from '../../src/commands/status.js';
import { HOST_PATHS } from '../../src/render/constants.js';
import type { ContainerRunner } from '../../src/sim/runtime.js';
import { checkpointerFlags } from '../../src/sim/standins/checkpointer.js';
import type { StatusReport } from '../../src/status/index.js';
import { rehearsal, startOptions, type RehearsalEnv } from '../bootstrap/support.js';
import { runCommand } from '../helpers/run-command.js';
import { waitFor } from '../helpers/wait.js';

const COMPONENTS = ['kube-apiserver', 'kube-scheduler', 'kube-controller-manager', 'pod-checkpointer'];

describe('bootkube status on a rehearsed cluster', { concurrency: 1 }, () => {
  let env: RehearsalEnv;
  let kubeconfig: string;

  before(async () => {
    env = await rehearsal();
    await runStart(startOptions(env), { quiet: true });
    kubeconfig = join(env.assetDir, 'auth/kubeconfig');
  });
  after(async () => {
    await env?.stop();
  });

  const status = (...extra: string[]) => runCommand(Status, ['--kubeconfig', kubeconfig, ...extra]);

  it('reports a healthy control plane: every component Ready on the master, the API and etcd ready, exit 0', async () => {
    const r = await status();
    if (process.env.SHOW) console.log(r.stdout);
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^API +ready: \/readyz ping ok, log ok, etcd ok/m);
    assert.match(r.stdout, /^etcd +healthy \(\/readyz check etcd\)$/m);
    assert.match(
      r.stdout,
      /^Serving +CN=kube-apiserver, expires \d{4}-\d\d-\d\d \d\d:\d\d UTC \(364d 23h\), as in its Secret$/m,
    );
    for (const c of COMPONENTS)
      assert.match(r.stdout, new RegExp(`^master-0 +${c} +${c}-\\S+ +1/1 +Running +0$`, 'm'), `${c} row`);
    assert.match(
      r.stdout,
      /^master-0 +pod-checkpointer +pod-checkpointer-\S+-master-0 +1\/1 +Running \(its own checkpoint\)/m,
    );
    assert.match(r.stdout, /^daemonset\/kube-apiserver +1 +1 +1 +1$/m);
    assert.match(r.stdout, /^deployment\/kube-scheduler +2 +2 +2 +2$/m);
    assert.match(r.stdout, /\nHealthy\.\n$/);

    const json = await status('--json');
    assert.equal(json.exitCode, 0);
    const report = JSON.parse(json.stdout) as StatusReport;
    assert.equal(report.healthy, true);
    assert.deepEqual(report.problems, []);
    assert.equal(report.api.ready, true);
    assert.equal(report.api.etcd.ok, true);
    assert.deepEqual(
      report.masters.map((m) => m.name),
      [env.nodeName],
    );
    const served = await readFile(join(env.assetDir, 'tls/apiserver.crt'), 'utf8');
    assert.equal(
      report.certificates.served?.notAfter,
      new Date(new X509Certificate(served).validTo).toISOString(),
    );
  });

  it("refuses a missing kubeconfig and one whose CA is not the cluster's: one line, exit 2", async () => {
    const missing = await runCommand(Status, ['--kubeconfig', join(env.workDir, 'nope')]);
    assert.equal(missing.exitCode, 2);
    assert.equal(missing.stdout, '');
    assert.match(
      missing.stderr,
      /^Error: --kubeconfig \S+nope: no such file: give the cluster's admin kubeconfig \(assets\/auth\/kubeconfig\)\n$/,
    );

    // The cluster's own front-proxy CA: a real CA, but not the one that signed the serving certificate.
    const other = (await readFile(kubeconfig, 'utf8')).replace(
      /certificate-authority-data: \S+/,
      `certificate-authority-data: ${Buffer.from(await readFile(join(env.assetDir, 'tls/front-proxy-ca.crt'))).toString('base64')}`,
    );
    const wrongCa = join(env.workDir, 'wrong-ca.kubeconfig');
    await writeFile(wrongCa, other);
    const refused = await runCommand(Status, ['--kubeconfig', wrongCa]);
    assert.equal(refused.exitCode, 2, refused.stderr);
    assert.equal(refused.stdout, '');
    assert.match(
      refused.stderr,
      /^Error: --kubeconfig \S+wrong-ca\.kubeconfig: the API at https:\/\/127\.0\.0\.1:\d+ serves a certificate its CA does not verify \(\w+\): give the kubeconfig of this cluster, with this cluster's CA\n$/,
    );
  });

  it('reports an API that does not answer, exit 1', async () => {
    // The cluster's kubeconfig, pointed at a port nothing listens on.
    const [port] = await freePorts(1);
    const down = join(env.workDir, 'down.kubeconfig');
    await writeFile(
      down,
      (await readFile(kubeconfig, 'utf8')).replace(
        /server: https:\/\/127\.0\.0\.1:\d+/,
        `server: https://127.0.0.1:${port}`,
      ),
    );
    const r = await runCommand(Status, ['--kubeconfig', down]);
    assert.equal(r.exitCode, 1, r.stdout + r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^API +does not answer: connect ECONNREFUSED 127\.0\.0\.1:\d+$/m);
    assert.match(
      r.stdout,
      /^Unhealthy: 1 problem:\n {2}- the API at https:\/\/127\.0\.0\.1:\d+ does not answer \(connect ECONNREFUSED/m,
    );
  });

  it('reports a killed pod checkpointer and a stale checkpoint, exit 1', async () => {
    const node = env.cluster.node(env.nodeName);
    // Kill the checkpointer (its DaemonSet pod and its own static copy) and keep it dead: every
    // restart the kubelet makes exits at once, as a crashing binary would (CrashLoopBackOff).
    const crash: ContainerRunner = async (ctx) =>
      checkpointerFlags(ctx)
        ? {
            ready: () => false,
            exited: Promise.resolve({ exitCode: 1, reason: 'Error' }),
            stop: async () => {},
          }
        : undefined;
    // The test reaches into the simulated runtime's runner list (private) to put the crash first.
    const runtime = node.runtime as unknown as { runners: ContainerRunner[] };
    node.runtime.setRunners([crash, ...runtime.runners]);
    const running = node.runtime
      .listPods()
      .flatMap((p) => p.containers)
      .filter((c) => c.running && c.name === 'pod-checkpointer');
    assert.ok(running.length >= 1, 'no running checkpointer container');
    await Promise.all(running.map((c) => node.runtime.stopContainer(c, 0)));

    // With no checkpointer to step it down, an activated apiserver checkpoint stays active next to
    // the running self-hosted apiserver: stale.
    const inactive = join(node.hostPath(HOST_PATHS.inactiveManifests));
    const file = (await readdir(inactive)).find((f) => f.startsWith('kube-system-kube-apiserver-'));
    assert.ok(file, 'no inactive apiserver checkpoint');
    await copyFile(join(inactive, file), join(node.hostPath(HOST_PATHS.staticPods), file));

    const report = await waitFor(
      async () => {
        const r = await status('--json');
        const rep = JSON.parse(r.stdout) as StatusReport;
        const pods = rep.masters[0]?.pods ?? [];
        const stale = pods.some((p) => p.checkpoint?.state === 'stale');
        const dead = pods.filter((p) => p.component === 'pod-checkpointer').every((p) => !p.ready);
        return stale && dead ? rep : undefined;
      },
      {
        timeoutMs: 60_000,
        intervalMs: 500,
        what: 'status to see the stale checkpoint and the dead checkpointer',
      },
    );
    assert.equal(report!.healthy, false);

    const r = await status();
    if (process.env.SHOW) console.log(r.stdout);
    assert.equal(r.exitCode, 1, r.stdout + r.stderr);
    assert.equal(r.stderr, '');
    const parent = file.replace(/^kube-system-/, '').replace(/\.json$/, '');
    assert.match(
      r.stdout,
      new RegExp(
        `^master-0 +kube-apiserver +${parent}-master-0 +\\d/1 +\\S+ \\(checkpoint of ${parent}: STALE\\)`,
        'm',
      ),
    );
    assert.match(
      r.stdout,
      /^master-0 +pod-checkpointer +pod-checkpointer-\S+ +0\/1 +(CrashLoopBackOff|Error)/m,
    );
    assert.match(r.stdout, /^Unhealthy: \d+ problems:$/m);
    assert.match(
      r.stdout,
      /^ {2}- pod-checkpointer on master-0 is not ready: pod-checkpointer-\S+: (CrashLoopBackOff|Error), 0\/1 ready/m,
    );
    assert.match(
      r.stdout,
      new RegExp(
        `^  - checkpoint ${parent}-master-0 on master-0 is stale: ${parent} \\(or a pod of its controller\\) runs there`,
        'm',
      ),
    );
  });
});
