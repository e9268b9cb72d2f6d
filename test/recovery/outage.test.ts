// A full outage, rehearsed end to end (src/sim, a real etcd): a cluster bootstrapped with `start`
// holds a workload created with kubectl; its only master is lost with every checkpoint (a new
// machine, same name, nothing on disk but the kubelet's kubeconfig); `bootkube recover` reads the
// control plane from etcd, the checkpoint dirs or an etcd snapshot, and `bootkube start` on the
// recovered dir brings it back. Every workload object keeps its UID and content, and start creates
// nothing etcd already holds. Then bootkube#112, through a running apiserver.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { prepareRehearsal, type RehearsalEnv } from '../../src/bootstrap/rehearsal.js';
import { runStart, type StartSummary } from '../../src/bootstrap/start.js';
import Recover from '../../src/commands/recover.js';
import { startEtcd, type EtcdHandle } from '../../src/etcd/local.js';
import { runCommand } from '../helpers/run-command.js';
import {
  adminClient,
  assertControlPlaneReady,
  isReady,
  rehearsal,
  startOptions,
  systemPods,
} from '../bootstrap/support.js';

const sh = promisify(execFile);

const WORKLOAD = `
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config, namespace: default}
data: {greeting: hello}
---
apiVersion: v1
kind: Secret
metadata: {name: app-secret, namespace: default}
stringData: {password: s3cret}
---
apiVersion: v1
kind: Service
metadata: {name: app, namespace: default}
spec:
  selector: {app: app}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      tolerations: [{operator: Exists}]
      containers: [{name: app, image: registry.example/app:1}]
`;
const OBJECTS = ['configmap/app-config', 'secret/app-secret', 'service/app', 'deployment/app'];

// One cluster, three recoveries in a row (a whole rehearsal per source took the suite past its 15
// minutes): the master is lost with its disk; `recover` reads the control plane from etcd, from the
// lost master's checkpoint dirs (read before the disk is gone) and from an etcd snapshot, into three
// dirs. `start` on a new machine runs the etcd one; that machine is lost in turn and the next one
// starts the checkpoint one on the same etcd; then etcd itself is lost and restored from the snapshot
// (on its address, with its certificates, as an operator would) and the last machine starts the
// snapshot one. Each time: the control plane is back, the workload has its UIDs and content, and
// start created nothing etcd held.
const SOURCES = ['etcd', 'the checkpoint dirs', 'an etcd snapshot'] as const;
type Source = (typeof SOURCES)[number];

describe('a full outage: recover, then start on a new machine', { concurrency: 1, timeout: 600_000 }, () => {
  let first: RehearsalEnv;
  let machine: RehearsalEnv | undefined;
  let restoredEtcd: EtcdHandle | undefined;
  let before_: Map<string, { uid: string; content: string }>;
  const recovered = {} as Record<Source, string>;
  const tls = (p: string) => join(first.assetDir, 'tls', p);
  const etcdctlTls = () => ['--cacert', tls('etcd/ca.crt'), '--cert', tls('apiserver-etcd-client.crt'), '--key', tls('apiserver-etcd-client.key')];
  const etcdctl = (...args: string[]) => sh('etcdctl', args, { env: { ...process.env, ETCDCTL_API: '3' } });

  const kubectl = async (env: RehearsalEnv, ...args: string[]) =>
    (await sh('kubectl', ['--kubeconfig', join(env.assetDir, 'auth/kubeconfig'), ...args])).stdout;
  const snapshot = async (env: RehearsalEnv) => {
    const out = new Map<string, { uid: string; content: string }>();
    for (const o of OBJECTS) {
      const obj = JSON.parse(await kubectl(env, 'get', '-n', 'default', o, '-o', 'json'));
      out.set(o, { uid: obj.metadata.uid, content: JSON.stringify(obj.data ?? obj.spec) });
    }
    return out;
  };

  before(async () => {
    first = await rehearsal();
    await runStart(startOptions(first), { quiet: true });
    const manifest = join(first.workDir, 'workload.yaml');
    await writeFile(manifest, WORKLOAD);
    await kubectl(first, 'apply', '-f', manifest);
    before_ = await snapshot(first);
    // The record of a control-plane pod on a master that will not come back (its Node is gone).
    const admin = await adminClient(first);
    try {
      const stale = await admin.request('POST', '/api/v1/namespaces/kube-system/pods', {
        body: {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'kube-apiserver-gone', labels: { 'k8s-app': 'lost-master-component' } },
          spec: {
            nodeName: 'master-9',
            containers: [{ name: 'kube-apiserver', image: 'example/apiserver:1' }],
          },
        },
      });
      assert.equal(stale.status, 201, JSON.stringify(stale.body));
    } finally {
      admin.close();
    }
    const backup = join(first.workDir, 'snapshot.db');
    await etcdctl('--endpoints', first.etcd!.endpoint, ...etcdctlTls(), 'snapshot', 'save', backup);

    // The outage: the master is gone; its checkpoint dirs are read before its disk goes with it.
    await first.cluster.stop();
    const from: Record<Source, string[]> = {
      etcd: [
        '--etcd-servers',
        first.etcd!.endpoint,
        '--etcd-ca-path',
        tls('etcd/ca.crt'),
        '--etcd-certificate-path',
        tls('apiserver-etcd-client.crt'),
        '--etcd-private-key-path',
        tls('apiserver-etcd-client.key'),
      ],
      'the checkpoint dirs': ['--checkpoint-dir', join(first.nodeRoot, 'etc/kubernetes')],
      'an etcd snapshot': ['--etcd-backup-file', backup],
    };
    for (const source of SOURCES) {
      recovered[source] = join(first.workDir, `recovered-${SOURCES.indexOf(source)}`);
      const r = await runCommand(Recover, [
        '--recovery-dir',
        recovered[source],
        ...from[source],
        '--kubelet-kubeconfig',
        join(first.assetDir, 'auth/kubeconfig-kubelet'),
      ]);
      assert.equal(r.exitCode, 0, `recover from ${source}: ${r.stderr}`);
    }
    await rm(join(first.workDir, 'nodes'), { recursive: true, force: true });
  });
  after(async () => {
    await machine?.stop();
    await restoredEtcd?.stop();
    await first?.stop();
  });

  for (const source of SOURCES) {
    describe(`from ${source}`, { concurrency: 1 }, () => {
      let summary: StartSummary;
      before(async () => {
        // The machine before this one is lost too.
        await machine?.stop();
        machine = undefined;
        if (source === 'an etcd snapshot') {
          // etcd is lost as well: restored from the snapshot onto its address with its certificates.
          const port = Number(new URL(first.etcd!.endpoint).port);
          await first.etcd!.stop();
          const dataDir = join(first.workDir, 'etcd-restored');
          await etcdctl(
            'snapshot',
            'restore',
            join(first.workDir, 'snapshot.db'),
            '--data-dir',
            dataDir,
            '--name',
            first.nodeName,
            '--initial-cluster',
            `${first.nodeName}=http://127.0.0.1:2380`,
            '--initial-advertise-peer-urls',
            'http://127.0.0.1:2380',
          );
          restoredEtcd = await startEtcd({
            name: first.nodeName,
            clientPort: port,
            dataDir,
            tls: {
              certFile: tls('etcd/server.crt'),
              keyFile: tls('etcd/server.key'),
              caFile: tls('etcd/ca.crt'),
              trustedCaFile: tls('etcd/ca.crt'),
              clientCertFile: tls('apiserver-etcd-client.crt'),
              clientKeyFile: tls('apiserver-etcd-client.key'),
            },
          });
        }
        // A new machine with the same name: nothing on its disk but the kubelet's kubeconfig.
        machine = await prepareRehearsal({
          bootkubeVersion: '0.1.0',
          assetDir: recovered[source],
          nodeName: first.nodeName,
          etcd: {
            servers: [first.etcd!.endpoint],
            caFile: tls('etcd/ca.crt'),
            certFile: tls('apiserver-etcd-client.crt'),
            keyFile: tls('apiserver-etcd-client.key'),
          },
        });
        summary = await runStart(startOptions(machine), { quiet: true });
      });

      it('brings the control plane back', async () => {
        await assertControlPlaneReady(machine!);
      });

      it('keeps every workload object with its UID and content', async () => {
        assert.deepEqual(await snapshot(machine!), before_);
      });

      it('removes the pod records of a vanished master once the control plane is back, and only those', async () => {
        // The checkpoint run follows the etcd run on the same etcd: that record is already gone.
        assert.deepEqual(
          summary.removedStalePods,
          source === 'the checkpoint dirs' ? [] : ['kube-apiserver-gone (node master-9)'],
        );
        const client = await adminClient(machine!);
        try {
          const pods = await systemPods(client);
          assert.ok(
            !pods.some((p) => p.metadata.name === 'kube-apiserver-gone'),
            'the stale pod is still there',
          );
          assert.ok(pods.every((p) => p.spec.nodeName === machine!.nodeName || !p.spec.nodeName));
        } finally {
          client.close();
        }
      });

      it('creates nothing that etcd already held: only the bootstrap pods, which hand-off 2 removes', () => {
        const by = (outcome: string) =>
          summary.objects.filter((o) => o.outcome === outcome).map((o) => o.object);
        const created = by('created');
        assert.ok(
          created.every((o) => o.startsWith('Pod kube-system/bootstrap-')),
          `created: ${created.join(', ')}`,
        );
        assert.ok(created.includes('Pod kube-system/bootstrap-kube-apiserver'), 'no bootstrap apiserver');
        // The control plane the recovered dir carries was found in etcd as it was, and left alone.
        assert.deepEqual(by('differs'), []);
        assert.deepEqual(by('failed'), []);
      });
    });
  }
});

describe('the controller-manager and scheduler lost (bootkube#112): recover through the running apiserver, then start', () => {
  let env: RehearsalEnv;
  let summary: StartSummary;
  const kubectl = async (...args: string[]) =>
    (await sh('kubectl', ['--kubeconfig', join(env.assetDir, 'auth/kubeconfig'), ...args])).stdout;
  const pods = async (app: string) =>
    JSON.parse(await kubectl('get', 'pods', '-n', 'kube-system', '-l', `k8s-app=${app}`, '-o', 'json'))
      .items as any[];

  before(async () => {
    env = await rehearsal();
    await runStart(startOptions(env), { quiet: true });
    // Every scheduler and controller-manager pod goes (the node cordoned meanwhile, so that the
    // dying ones cannot place their own replacements): what the controller-manager recreated on its
    // way out stays Pending, and nothing is left to place it. The cluster cannot heal itself.
    await kubectl('cordon', env.nodeName);
    await kubectl(
      'delete',
      'pods',
      '-n',
      'kube-system',
      '-l',
      'k8s-app in (kube-scheduler,kube-controller-manager)',
      '--wait=true',
    );
    await waitForPods(async () => {
      const all = [...(await pods('kube-scheduler')), ...(await pods('kube-controller-manager'))];
      return all.every((x) => !x.spec.nodeName);
    }, 'no scheduler or controller-manager placed');
    await kubectl('uncordon', env.nodeName);
    await new Promise((r) => setTimeout(r, 2000));
    for (const app of ['kube-scheduler', 'kube-controller-manager'])
      assert.ok(
        (await pods(app)).every((x) => !x.spec.nodeName),
        `${app}: a pod was placed with no scheduler running`,
      );

    const recovered = join(env.workDir, 'recovered');
    const r = await runCommand(Recover, [
      '--recovery-dir',
      recovered,
      '--kubeconfig',
      join(env.assetDir, 'auth/kubeconfig'),
      '--kubelet-kubeconfig',
      join(env.assetDir, 'auth/kubeconfig-kubelet'),
    ]);
    assert.equal(r.exitCode, 0, r.stderr);
    summary = await runStart({ ...startOptions(env), assetDir: recovered }, { quiet: true });
  });
  after(async () => {
    await env?.stop();
  });

  it('resumes through the running apiserver, restoring the scheduler and controller-manager from their bootstrap pods', async () => {
    assert.equal(summary.resumed, true);
    const restored = summary.phases.find((p) => p.phase === 'bootstrap-pods');
    assert.match(
      String(restored?.skipped),
      /restored bootstrap-kube-controller-manager, bootstrap-kube-scheduler|restored bootstrap-kube-scheduler, bootstrap-kube-controller-manager/,
    );
    for (const app of ['kube-scheduler', 'kube-controller-manager']) {
      const ready = (await pods(app)).filter((p) => !p.metadata.deletionTimestamp && isReady(p));
      assert.ok(ready.length > 0, `${app}: no Ready pod`);
    }
    const left = (await pods('bootstrap-kube-scheduler')).concat(
      await pods('bootstrap-kube-controller-manager'),
    );
    assert.deepEqual(
      left.map((p) => p.metadata.name),
      [],
      'bootstrap pods left',
    );
  });
});

async function waitForPods(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
