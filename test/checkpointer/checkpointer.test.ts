/**
 * One iteration's work besides the state machine: the secrets, config maps and tokens of
 * checkpointed pods (refreshed when they change, 0600 in 0700 dirs, owned by the pod's user),
 * pods that cannot be checkpointed, and the loop ending on abort.
 */
import type { V1Pod } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tokenStillGood } from '../../src/checkpointer/references.js';
import { FakeNode, NS, T0 } from './harness.js';

const asRoot = process.getuid?.() === 0;
const jwt = (claims: object) => `h.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.s`;

const withProjectedToken = (pod: V1Pod) => {
  pod.spec!.securityContext = { runAsUser: 65534, fsGroup: 65534 };
  pod.spec!.serviceAccountName = 'apiserver-sa';
  pod.spec!.volumes = [
    { name: 'secrets', secret: { secretName: 'AA-secret' } },
    {
      name: 'kube-api-access-x',
      projected: {
        sources: [
          { serviceAccountToken: { path: 'token', expirationSeconds: 3600 } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    },
  ];
};

describe('checkpointer iteration', () => {
  it("writes a parent's secrets and token 0600 in 0700 dirs owned by its user, refreshed when they change", async () => {
    let issued = 0;
    const node = await FakeNode.create(
      { pods: { AA: { mutate: withProjectedToken } }, api: ['AA'], kubelet: ['AA'], runtime: ['AA'] },
      'pod-checkpointer',
      {
        token: async (pod) => {
          issued++;
          const iat = Math.floor(node.now / 1000);
          return {
            token: jwt({ iat, exp: iat + 3600, 'kubernetes.io': { pod: { uid: pod.metadata!.uid } } }),
            expiresAt: (iat + 3600) * 1000,
          };
        },
      },
    );
    try {
      node.secrets.set('AA-secret', { 'tls.key': Buffer.from('v1') });
      const r = await node.runOnce();
      assert.deepEqual(r.written, [`${NS}/AA`]);
      const base = join(node.store.layout.secrets, NS, 'AA');
      const key = join(base, 'AA-secret/tls.key');
      const token = join(base, '_volume-kube-api-access-x/token');
      assert.equal(await readFile(key, 'utf8'), 'v1');
      assert.equal(await readFile(join(base, '_volume-kube-api-access-x/namespace'), 'utf8'), NS);
      for (const [path, mode] of [
        [key, 0o600],
        [token, 0o600],
        [join(base, 'AA-secret'), 0o700],
        [join(base, '_volume-kube-api-access-x'), 0o700],
      ] as const) {
        const st = await stat(path);
        assert.equal(st.mode & 0o777, mode, path);
        if (asRoot) assert.deepEqual([st.uid, st.gid], [65534, 65534], path);
      }
      const manifest = JSON.parse(
        await readFile(join(node.store.layout.inactive, `${NS}-AA.json`), 'utf8'),
      ) as V1Pod;
      assert.deepEqual(
        manifest.spec!.volumes!.map((v) => v.hostPath?.path),
        [
          `/etc/kubernetes/checkpoint-secrets/${NS}/AA/AA-secret`,
          `/etc/kubernetes/checkpoint-secrets/${NS}/AA/_volume-kube-api-access-x`,
        ],
      );

      // The Secret changes: picked up at the next refresh (1 min), not every iteration.
      node.secrets.set('AA-secret', { 'tls.key': Buffer.from('v2') });
      node.now = T0 + 5_000;
      await node.runOnce();
      assert.equal(await readFile(key, 'utf8'), 'v1');
      node.now = T0 + 61_000;
      await node.runOnce();
      assert.equal(await readFile(key, 'utf8'), 'v2');
      assert.equal(issued, 1, 'a token with most of its life left is kept');
      // Four fifths of its life gone: renewed.
      node.now = T0 + 50 * 60_000;
      await node.runOnce();
      assert.equal(issued, 2);
      assert.equal(tokenStillGood(await readFile(token, 'utf8'), 'uid-AA', node.now), true);
    } finally {
      await node.cleanup();
    }
  });

  it('keeps the checkpoint as it is while the API cannot give its secrets; reports a pod it cannot checkpoint', async () => {
    const node = await FakeNode.create({
      pods: {
        AA: { secret: true },
        BB: {
          mutate: (p) => (p.spec!.volumes = [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }]),
        },
      },
      api: ['AA', 'BB'],
      kubelet: ['AA', 'BB'],
      runtime: ['AA', 'BB'],
    });
    try {
      const r = await node.runOnce();
      assert.deepEqual(r.written, [`${NS}/AA`]);
      assert.deepEqual(
        r.failed.map((f) => f.id),
        [`${NS}/BB`],
      );
      assert.match(r.failed[0]!.why, /PersistentVolumeClaim/);
      const before = await readFile(join(node.store.layout.secrets, NS, 'AA/AA-secret/tls.key'), 'utf8');
      node.world = {
        ...node.world,
        api: 'error',
        pods: { ...node.world.pods, AA: { secret: true, image: 'example/AA:2', ready: true } },
      };
      node.now += 120_000;
      const r2 = await node.runOnce();
      assert.deepEqual([r2.written, r2.failed.filter((f) => f.id.endsWith('AA'))], [[], []]);
      assert.equal(
        await readFile(join(node.store.layout.secrets, NS, 'AA/AA-secret/tls.key'), 'utf8'),
        before,
      );
    } finally {
      await node.cleanup();
    }
  });

  it('passes again within the settle interval while a checkpoint stands in for a parent the kubelet is starting', async () => {
    // The API lists AA and the kubelet has admitted it, but it does not run yet: its checkpoint is
    // started (reference scenario 6), and stopped at the first pass after AA runs. That pass comes
    // after settleIntervalMs, not a whole interval; a parent that never starts is not polled for ever.
    const node = await FakeNode.create({ pods: { AA: {} }, api: ['AA'], kubelet: ['AA'], runtime: [] });
    try {
      const controller = new AbortController();
      const pauses: number[] = [];
      const kinds: string[] = [];
      await node.checkpointer.runLoop({
        intervalMs: 5000,
        settleIntervalMs: 400,
        signal: controller.signal,
        sleep: async (ms) => {
          pauses.push(ms);
          kinds.push(node.checkpointer.checkpointStates.get(`${NS}/AA`)!.kind);
          node.now += ms;
          if (pauses.length === 2) node.world.runtime = ['AA'];
          if (pauses.length === 3) node.world.runtime = [];
          if (pauses.length === 80) controller.abort();
        },
      });
      assert.deepEqual(pauses.slice(0, 3), [400, 400, 5000]);
      assert.deepEqual(kinds.slice(0, 3), ['active', 'active', 'inactive']);
      // AA stopped running again and never comes back: fast passes for 30 s after activation, then slow.
      const after = pauses.slice(3);
      assert.equal(after[0], 400);
      assert.equal(after.at(-1), 5000);
      const fast = after.filter((ms) => ms === 400).length;
      assert.ok(fast * 400 >= 30_000 && fast * 400 <= 31_000, `fast passes: ${fast}`);
    } finally {
      await node.cleanup();
    }
  });

  it('runs iterations until its signal aborts, then returns', async () => {
    const node = await FakeNode.create({ pods: { AA: {} }, api: ['AA'], kubelet: ['AA'], runtime: [] });
    try {
      const controller = new AbortController();
      let iterations = 0;
      await node.checkpointer.runLoop({
        intervalMs: 5000,
        signal: controller.signal,
        sleep: async () => {
          node.now += 5000;
          if (++iterations === 3) controller.abort();
        },
      });
      assert.equal(iterations, 3);
      assert.deepEqual(
        [...node.checkpointer.checkpointStates].map(([id, s]) => [id, s.kind]),
        [[`${NS}/AA`, 'active']],
      );
    } finally {
      await node.cleanup();
    }
  });
});
