/**
 * The API and kubelet sources against real HTTPS servers on port 0 that demand a client
 * certificate (made here with openssl): what they ask, what they make of the answers, and that an
 * error, a refusal or a hang is `unknown`. Plus /readyz, and the hand-off lock's holders as
 * /proc/locks and the holders' cgroups tell them.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { apiObjectFetcher, apiPodSource, type ClusterAccess } from '../../src/checkpointer/sources/api.js';
import { kubeletPodSource } from '../../src/checkpointer/sources/kubelet.js';
import { apiserverPort, httpsReadyzProbe } from '../../src/checkpointer/sources/readyz.js';
import { podUidFromCgroup, procHandoffLockInspector } from '../../src/checkpointer/sources/handoff-lock.js';
import { ensureLockFile } from '../../src/lock/index.js';
import { httpsFixtures, type Handler, type Pem, type TestServer } from './https-fixtures.js';

const never = new AbortController().signal;
let dir: string;
let pem: Pem;
let server: (handler: Handler) => Promise<TestServer>;
let kubeconfig: (url: string) => Promise<ClusterAccess>;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'checkpointer-sources-'));
  ({ pem, server, kubeconfig } = await httpsFixtures(dir));
});
after(() => rm(dir, { recursive: true, force: true }));

const podList = {
  kind: 'PodList',
  apiVersion: 'v1',
  items: [
    {
      metadata: {
        name: 'p1',
        namespace: 'kube-system',
        uid: 'u1',
        creationTimestamp: '2030-01-01T00:00:00.123456Z',
      },
      spec: { containers: [] },
    },
  ],
};

describe('API source', () => {
  it("lists this node's pods in every namespace, as the node, a quorum read; objects kept as sent", async () => {
    const s = await server(() => ({ status: 200, body: podList }));
    try {
      const access = await kubeconfig(s.url);
      const r = await apiPodSource({ access, nodeName: 'mynode', clock: () => 42 }).list(never);
      assert.deepEqual(r, { state: 'ok', pods: podList.items, observedAt: 42 });
      assert.deepEqual(
        s.seen.map((x) => [x.method, x.url, x.user]),
        [['GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dmynode', 'system:node:mynode']],
      );
      await apiPodSource({ access, nodeName: 'mynode', namespaces: ['kube-system'] }).list(never);
      assert.equal(
        s.seen[1]!.url,
        '/api/v1/namespaces/kube-system/pods?fieldSelector=spec.nodeName%3Dmynode',
      );
    } finally {
      s.close();
    }
  });

  it('an error status, a hang and a refused connection are unknown', async () => {
    const s = await server((req) =>
      req.url.includes('hang') ? 'hang' : { status: 503, body: { kind: 'Status', message: 'etcd is down' } },
    );
    try {
      const access = await kubeconfig(s.url);
      const r = await apiPodSource({ access, nodeName: 'mynode' }).list(never);
      assert.equal(r.state, 'unknown');
      assert.match(r.state === 'unknown' ? r.reason : '', /503 etcd is down/);
      const hang = await apiPodSource({
        access,
        nodeName: 'mynode',
        namespaces: ['hang'],
        timeoutMs: 200,
      }).list(never);
      assert.match(hang.state === 'unknown' ? hang.reason : '', /no answer within 200 ms/);
      const refused = await apiPodSource({
        access: { ...access, server: new URL('https://127.0.0.1:1') },
        nodeName: 'mynode',
      }).list(never);
      assert.equal(refused.state, 'unknown');
    } finally {
      s.close();
    }
  });

  it('reads Secrets and ConfigMaps (NotFound is undefined) and requests tokens bound to the pod', async () => {
    const s = await server((req) => {
      if (req.url.endsWith('/secrets/tls'))
        return { status: 200, body: { data: { 'tls.key': Buffer.from('KEY').toString('base64') } } };
      if (req.url.endsWith('/configmaps/cfg'))
        return {
          status: 200,
          body: { data: { a: 'x' }, binaryData: { b: Buffer.from([1, 2]).toString('base64') } },
        };
      if (req.url.endsWith('/serviceaccounts/sa/token'))
        return {
          status: 201,
          body: { status: { token: 'h.c.s', expirationTimestamp: '2030-01-01T01:00:00Z' } },
        };
      return { status: 404, body: { kind: 'Status', reason: 'NotFound' } };
    });
    try {
      const f = apiObjectFetcher({ access: await kubeconfig(s.url) });
      assert.deepEqual(await f.secret('kube-system', 'tls', never), { 'tls.key': Buffer.from('KEY') });
      assert.equal(await f.secret('kube-system', 'gone', never), undefined);
      assert.deepEqual(await f.configMap('kube-system', 'cfg', never), {
        a: Buffer.from('x'),
        b: Buffer.from([1, 2]),
      });
      const pod = {
        metadata: { name: 'p1', namespace: 'kube-system', uid: 'u1' },
        spec: { serviceAccountName: 'sa', containers: [] },
      };
      assert.deepEqual(
        await f.token(pod, { path: 'token', audience: 'api', expirationSeconds: 3607 }, never),
        { token: 'h.c.s', expiresAt: Date.parse('2030-01-01T01:00:00Z') },
      );
      assert.deepEqual(JSON.parse(s.seen.at(-1)!.body).spec, {
        audiences: ['api'],
        expirationSeconds: 3607,
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'p1', uid: 'u1' },
      });
    } finally {
      s.close();
    }
  });
});

describe('kubelet source', () => {
  it('reads /pods on the authenticated port with the node certificate', async () => {
    const s = await server((req) => (req.url === '/pods' ? { status: 200, body: podList } : { status: 404 }));
    try {
      const port = Number(new URL(s.url).port);
      const r = await kubeletPodSource({
        port,
        tls: { cert: pem['client.crt'], key: pem['client.key'] },
        clock: () => 7,
      }).list(never);
      assert.deepEqual(r, { state: 'ok', pods: podList.items, observedAt: 7 });
      assert.equal(s.seen[0]!.user, 'system:node:mynode');
    } finally {
      s.close();
    }
  });

  it('a refusal (403) and a hang are unknown, the refusal with what to grant', async () => {
    const s = await server((req) =>
      req.url === '/pods' ? { status: 403, body: { message: 'Forbidden' } } : 'hang',
    );
    try {
      const port = Number(new URL(s.url).port);
      const r = await kubeletPodSource({
        port,
        tls: { cert: pem['client.crt'], key: pem['client.key'] },
      }).list(never);
      assert.match(r.state === 'unknown' ? r.reason : '', /403.*nodes\/proxy/);
      const noCert = await kubeletPodSource({ port, tls: {}, timeoutMs: 500 }).list(never);
      assert.equal(noCert.state, 'unknown');
    } finally {
      s.close();
    }
  });
});

describe('apiserver health', () => {
  it('asks /readyz on the port of --secure-port', async () => {
    const srv = https.createServer({ cert: pem['server.crt'], key: pem['server.key'] }, (req, res) => {
      res.writeHead(req.url === '/readyz' ? 200 : 404).end('ok');
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    const port = (srv.address() as AddressInfo).port;
    try {
      const pod = (p: number) => ({
        spec: {
          containers: [
            {
              name: 'a',
              command: [
                '/lockexec/lockexec',
                '/var/lock/bootkube/api-server.lock',
                'kube-apiserver',
                `--secure-port=${p}`,
              ],
            },
          ],
        },
      });
      assert.equal(
        apiserverPort({ spec: { containers: [{ name: 'a', args: ['--secure-port', '8443'] }] } }),
        8443,
      );
      assert.equal(apiserverPort({ spec: { containers: [{ name: 'a' }] } }), 6443);
      const probe = httpsReadyzProbe({ timeoutMs: 2000 });
      assert.equal(await probe(pod(port), never), true);
      srv.close();
      assert.equal(await probe(pod(port), never), false);
    } finally {
      srv.close();
    }
  });

  it('finds the pod of a lock holder in its cgroup (cgroupfs, systemd, static pods)', () => {
    assert.equal(
      podUidFromCgroup('0::/kubepods/burstable/pod0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0/abc\n'),
      '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
    );
    assert.equal(
      podUidFromCgroup(
        '0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0f1e2d3c_4b5a_6978_8796_a5b4c3d2e1f0.slice/cri-containerd-1.scope\n',
      ),
      '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
    );
    assert.equal(
      podUidFromCgroup('12:memory:/kubepods/besteffort/pod8f0e5a8f2b6b4d3c9a1e0f2d3c4b5a69/x\n'),
      '8f0e5a8f2b6b4d3c9a1e0f2d3c4b5a69',
    );
    assert.equal(podUidFromCgroup('0::/user.slice/session-1.scope\n'), undefined);
  });

  it('counts holders and waiters of the real lock; names the holder pod when its cgroup says so', async () => {
    const lockPath = join(dir, 'lock/api-server.lock');
    await ensureLockFile(lockPath);
    const holder = spawn('flock', ['--exclusive', lockPath, 'sh', '-c', 'echo held; exec cat'], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    await new Promise((resolve) => holder.stdout!.once('data', resolve));
    try {
      const plain = await procHandoffLockInspector({ lockPath }).inspect();
      assert.deepEqual(plain, { holders: 1, waiters: 0 }, 'a holder outside any pod: no pod uid');
      const procRoot = join(dir, 'proc');
      await mkdir(join(procRoot, String(holder.pid)), { recursive: true });
      await writeFile(
        join(procRoot, String(holder.pid), 'cgroup'),
        '0::/kubepods/pod0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0/c1\n',
      );
      const named = await procHandoffLockInspector({ lockPath, procRoot }).inspect();
      assert.deepEqual(named, {
        holders: 1,
        waiters: 0,
        holderPodUids: ['0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0'],
      });
      assert.equal(
        await procHandoffLockInspector({ lockPath: join(dir, 'nope/x.lock') }).inspect(),
        'unknown',
      );
    } finally {
      holder.stdin!.end();
    }
  });
});
