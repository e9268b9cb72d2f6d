// `certs check-expiration --kubeconfig` and `certs renew --kubeconfig` on a rehearsed cluster (a
// private etcd, a simulated master running the stand-in control plane, the real start sequence).
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiClient } from '../../src/bootstrap/client.js';
import { runStart } from '../../src/bootstrap/start.js';
import { checkClusterExpiration, checkExpiration } from '../../src/certs/index.js';
import { SAVED_STRATEGY } from '../../src/certs/rollout.js';
import CheckExpiration from '../../src/commands/certs/check-expiration.js';
import Renew from '../../src/commands/certs/renew.js';
import Status from '../../src/commands/status.js';
import { openCluster, servedCertificate } from '../../src/status/index.js';
import {
  adminClient,
  configMapNames,
  isReady,
  rehearsal,
  startOptions,
  systemPods,
  writeThroughout,
  type RehearsalEnv,
} from '../bootstrap/support.js';
import { runCommand } from '../helpers/run-command.js';
import { renderAssets } from './support.js';

const ROLLED = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];

describe('certs on a rehearsed cluster (--kubeconfig)', { concurrency: 1 }, () => {
  let env: RehearsalEnv;
  let kubeconfig: string;
  let work: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'certs-cluster-'));
    env = await rehearsal();
    await runStart(startOptions(env), { quiet: true });
    kubeconfig = join(env.assetDir, 'auth/kubeconfig');
  });
  after(async () => {
    await env?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const tls = (name: string) => readFile(join(env.assetDir, 'tls', name), 'utf8');

  it('check-expiration computes every expiry of the running control plane as on its asset dir', async () => {
    const now = new Date();
    const cluster = await openCluster(kubeconfig);
    let live;
    try {
      live = await checkClusterExpiration(cluster, now);
    } finally {
      cluster.close();
    }
    const assets = await checkExpiration(env.assetDir, now);
    const names = live.certificates.map((c) => c.name).sort();
    assert.deepEqual(names, [
      'apiserver',
      'apiserver-etcd-client',
      'apiserver-kubelet-client',
      'ca',
      'etcd/ca',
      'front-proxy-ca',
      'front-proxy-client',
      'kube-controller-manager',
      'kube-scheduler',
    ]);
    for (const c of live.certificates) {
      const a = assets.certificates.find((x) => x.source === 'tls' && x.name === c.name);
      assert.ok(a, `${c.name}: not in the asset dir`);
      assert.equal(c.sha256Fingerprint, a.sha256Fingerprint, `${c.name}: another certificate than tls/`);
      assert.deepEqual(c.expiry, a.expiry, `${c.name}: expiry`);
      assert.equal(c.subject, a.subject);
    }
    const served = live.certificates.find((c) => c.name === 'apiserver')!;
    assert.ok(served.locations.includes(`served by ${env.apiServer.origin}`), served.locations.join());

    const r = await runCommand(CheckExpiration, ['--kubeconfig', kubeconfig]);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /^apiserver +CN=kube-apiserver +\d{4}-\d\d-\d\d \d\d:\d\d UTC +364d 23h +ok$/m);
    assert.match(r.stdout, /^ca +CN=kubernetes +\S+ \S+ UTC +3649d 23h +ok$/m);
    assert.match(r.stdout, /^No certificate has expired\.$/m);
    const failing = await runCommand(CheckExpiration, [
      '--kubeconfig',
      kubeconfig,
      '--fail-within',
      '400d',
      '--json',
    ]);
    assert.equal(failing.exitCode, 1);
    assert.deepEqual(JSON.parse(failing.stdout).failing.sort(), [
      'apiserver',
      'apiserver-etcd-client',
      'apiserver-kubelet-client',
      'front-proxy-client',
      'kube-controller-manager',
      'kube-scheduler',
    ]);
  });

  it('renew refuses --renew-ca and an asset dir of another cluster before writing anything: one line, exit 2', async () => {
    const before = await tls('apiserver.crt');
    const ca = await runCommand(Renew, [
      'ca',
      '--renew-ca',
      '--asset-dir',
      env.assetDir,
      '--kubeconfig',
      kubeconfig,
    ]);
    assert.equal(ca.exitCode, 2);
    assert.equal(ca.stdout, '');
    assert.match(
      ca.stderr,
      /^Error: --renew-ca cannot be used with --kubeconfig: a CA is never renewed on a running cluster: renew the CA on the asset dir alone/,
    );
    assert.equal(ca.stderr.trimEnd().split('\n').length, 1);

    const other = join(work, 'other');
    await renderAssets(other);
    const otherBefore = await readFile(join(other, 'tls/apiserver.crt'), 'utf8');
    const mismatch = await runCommand(Renew, ['apiserver', '--asset-dir', other, '--kubeconfig', kubeconfig]);
    assert.equal(mismatch.exitCode, 2);
    assert.equal(mismatch.stdout, '');
    assert.match(
      mismatch.stderr,
      /^Error: --asset-dir \S+other is not this cluster's: its tls\/ca\.crt is not the CA in secret kube-system\/kube-apiserver: give the asset dir this cluster was rendered \(or recovered\) from\n$/,
    );
    assert.equal(
      await readFile(join(other, 'tls/apiserver.crt'), 'utf8'),
      otherBefore,
      'the other asset dir changed',
    );
    assert.equal(await tls('apiserver.crt'), before, 'the asset dir changed');
  });

  it('renew --all updates the Secrets, rolls the control plane and the API serves the new certificate, answering throughout', async (t) => {
    const client = await adminClient(env);
    const oldPods = new Set(
      (await systemPods(client))
        .filter((p) => ROLLED.includes(p.metadata.labels?.['k8s-app']))
        .map((p) => p.metadata.uid as string),
    );
    const oldApiserver = new X509Certificate(await tls('apiserver.crt'));
    const probe = probeReadyz(env);
    const writer = writeThroughout(env);
    let r;
    let writes: Awaited<ReturnType<ReturnType<typeof writeThroughout>['stop']>>;
    let gaps: Awaited<ReturnType<ReturnType<typeof probeReadyz>['stop']>>;
    try {
      r = await runCommand(Renew, ['--all', '--asset-dir', env.assetDir, '--kubeconfig', kubeconfig]);
    } finally {
      writes = await writer.stop();
      gaps = await probe.stop();
    }
    t.diagnostic(`renew took the rollouts: ${JSON.stringify(r.result && (r.result as any).rollouts)}`);
    t.diagnostic(
      `the longest time /readyz did not answer 200: ${gaps.longestMs} ms (${gaps.polls} polls, ${gaps.failed} failed)`,
    );
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /^Updated Secret kube-system\/kube-apiserver: apiserver-etcd-client\.crt, apiserver-kubelet-client\.crt, apiserver\.crt, front-proxy-client\.crt\.$/m,
    );
    assert.match(
      r.stdout,
      /^Updated Secret kube-system\/kube-controller-manager: kube-controller-manager\.kubeconfig\.$/m,
    );
    assert.match(r.stdout, /^Updated Secret kube-system\/kube-scheduler: kube-scheduler\.kubeconfig\.$/m);
    for (const w of [
      'daemonset/kube-apiserver',
      'deployment/kube-controller-manager',
      'deployment/kube-scheduler',
    ])
      assert.match(r.stdout, new RegExp(`^Rolled ${w}: every pod runs with the new Secret`, 'm'));
    assert.match(
      r.stdout,
      /^admin, etcd\/peer, etcd\/server, kubelet: in no Secret of the control plane; install them by hand/m,
    );

    // The Secrets hold the asset dir's renewed files.
    const renewed = await tls('apiserver.crt');
    assert.notEqual(new X509Certificate(renewed).fingerprint256, oldApiserver.fingerprint256);
    const after = new ApiClient(client.access);
    try {
      const secret = (await after.request('GET', '/api/v1/namespaces/kube-system/secrets/kube-apiserver'))
        .body;
      assert.equal(Buffer.from(secret.data['apiserver.crt'], 'base64').toString('utf8'), renewed);
      assert.equal(
        Buffer.from(secret.data['front-proxy-client.crt'], 'base64').toString('utf8'),
        await tls('front-proxy-client.crt'),
      );
      // Every control-plane pod is new and Ready.
      const pods = (await systemPods(after)).filter(
        (p) =>
          ROLLED.includes(p.metadata.labels?.['k8s-app']) &&
          !p.metadata.annotations?.['kubernetes.io/config.mirror'],
      );
      assert.ok(pods.length >= 5, `pods: ${pods.map((p) => p.metadata.name)}`);
      for (const p of pods) {
        assert.ok(!oldPods.has(p.metadata.uid), `${p.metadata.name} was not replaced`);
        assert.ok(isReady(p), `${p.metadata.name} is not Ready`);
      }
      // The apiserver DaemonSet has its own strategy back.
      const ds = (
        await after.request('GET', '/apis/apps/v1/namespaces/kube-system/daemonsets/kube-apiserver')
      ).body;
      // (The API defaults an absent maxSurge to 0.)
      assert.equal(ds.spec.updateStrategy.type, 'RollingUpdate');
      assert.equal(ds.spec.updateStrategy.rollingUpdate.maxUnavailable, 1);
      assert.equal(ds.spec.updateStrategy.rollingUpdate.maxSurge ?? 0, 0);
      assert.equal(ds.metadata.annotations?.[SAVED_STRATEGY], undefined);
    } finally {
      after.close();
      client.close();
    }
    const served = await servedCertificate(env.apiServer);
    assert.equal(served.x509.fingerprint256, new X509Certificate(renewed).fingerprint256);

    // The API answered throughout: every write it acknowledged is there, and it was away only for the hand-off.
    const stored = await configMapNames(env);
    assert.ok(writes.acked.length > 20, `only ${writes.acked.length} writes acknowledged`);
    assert.deepEqual(
      writes.acked.filter((n) => !stored.has(n)),
      [],
      'acknowledged, then lost',
    );
    assert.ok(gaps.longestMs < 15_000, `the API was away for ${gaps.longestMs} ms`);

    // And the cluster is healthy, its certificates those of the asset dir.
    const status = await runCommand(Status, ['--kubeconfig', kubeconfig]);
    assert.equal(status.exitCode, 0, status.stdout);
    const check = await runCommand(CheckExpiration, ['--kubeconfig', kubeconfig, '--json']);
    const live = JSON.parse(check.stdout);
    const assets = await checkExpiration(env.assetDir, new Date(live.checkedAt));
    for (const c of live.certificates) {
      const a = assets.certificates.find((x) => x.source === 'tls' && x.name === c.name)!;
      assert.equal(
        c.sha256Fingerprint,
        a.sha256Fingerprint,
        `${c.name} in the cluster is not the asset dir's`,
      );
    }
  });
});

/** Polls /readyz every 100 ms until stopped; the longest run of polls that did not get 200. */
function probeReadyz(env: RehearsalEnv): {
  stop(): Promise<{ longestMs: number; polls: number; failed: number }>;
} {
  let running = true;
  let longestMs = 0;
  let polls = 0;
  let failed = 0;
  const loop = (async () => {
    const client = await adminClient(env);
    let downSince: number | undefined;
    try {
      while (running) {
        const a = await client.request('GET', '/readyz', { timeoutMs: 2000 });
        polls++;
        const now = Date.now();
        if (a.status === 200) {
          if (downSince !== undefined) longestMs = Math.max(longestMs, now - downSince);
          downSince = undefined;
        } else {
          failed++;
          downSince ??= now;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      if (downSince !== undefined) longestMs = Math.max(longestMs, Date.now() - downSince);
    } finally {
      client.close();
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { longestMs, polls, failed };
    },
  };
}
