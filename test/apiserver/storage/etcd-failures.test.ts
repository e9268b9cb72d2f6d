// The etcd back end when etcd is gone or refuses us: every call and every watch ends with
// UNAVAILABLE naming the endpoints, in bounded time; and the TLS set-up a cluster's etcd uses.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createStorage, isStorageError, UnavailableError } from '../../../src/apiserver/storage/index.js';
import { makeEtcdTestPki, startEtcd, type EtcdHandle, type EtcdTestPki } from '../../helpers/etcd.js';
import { pod, takeEvents, watchOutcome, within } from './support.js';

describe('etcd storage when etcd stops', () => {
  let etcd: EtcdHandle;
  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    await etcd?.stop();
  });

  it('ends running watches and fails every call with UNAVAILABLE, quickly', async () => {
    const storage = await createStorage({
      backend: 'etcd',
      endpoints: [etcd.endpoint],
      requestTimeoutMs: 2000,
    });
    const ac = new AbortController();
    try {
      const from = await storage.currentRevision();
      const watch = storage.watch('/registry/pods', { fromRevision: from, signal: ac.signal });
      const first = takeEvents(watch, 1);
      await storage.create('/registry/pods/default/a', pod('a'));
      await first;
      // takeEvents stopped iterating; a second watch stays open across the stop.
      const open = watchOutcome(
        storage.watch('/registry/pods', { fromRevision: from, signal: ac.signal }),
        5000,
      );
      await etcd.stop();
      const ended = await open;
      assert.ok(ended instanceof UnavailableError, `the watch ends with UNAVAILABLE, not ${ended}`);
      for (const call of [
        () => storage.get('/registry/pods/default/a'),
        () => storage.create('/registry/pods/default/b', pod('b')),
        () => storage.list('/registry/pods'),
        () => storage.currentRevision(),
      ]) {
        const started = Date.now();
        const err = await within(
          call().then(
            () => undefined,
            (e: unknown) => e,
          ),
          4000,
          'the call to fail',
        );
        assert.ok(err instanceof UnavailableError, `expected UNAVAILABLE, got ${err}`);
        assert.ok(err.message.includes(etcd.endpoint), `the message names the endpoint: ${err.message}`);
        assert.ok(Date.now() - started < 3000, 'reported within the request timeout');
      }
      const late = await watchOutcome(
        storage.watch('/registry/pods', { fromRevision: from, signal: ac.signal }),
      );
      assert.ok(isStorageError(late, 'UNAVAILABLE'), `a new watch fails too, not ${late}`);
    } finally {
      ac.abort();
      await storage.close();
    }
  });

  it('reports an endpoint nobody listens on as UNAVAILABLE with a hint', async () => {
    const port = await closedPort();
    const storage = await createStorage({
      backend: 'etcd',
      endpoints: [`http://127.0.0.1:${port}`],
      requestTimeoutMs: 2000,
    });
    try {
      const err = await within(
        storage.get('/registry/x').catch((e: unknown) => e),
        4000,
        'the call to fail',
      );
      assert.ok(err instanceof UnavailableError, `expected UNAVAILABLE, got ${err}`);
      assert.match(err.userMessage(), new RegExp(`127\\.0\\.0\\.1:${port}.*check that etcd is running`));
    } finally {
      await storage.close();
    }
  });

  it('fails calls after close() with UNAVAILABLE and ends watches cleanly', async () => {
    const other = await startEtcd();
    const storage = await createStorage({ backend: 'etcd', endpoints: [other.endpoint] });
    try {
      const ac = new AbortController();
      const from = await storage.currentRevision();
      await storage.create('/registry/pods/default/a', pod('a'));
      const watch = storage
        .watch('/registry/pods', { fromRevision: from, signal: ac.signal })
        [Symbol.asyncIterator]();
      assert.equal((await watch.next()).value?.type, 'ADDED', 'the watch runs');
      const rest = watch.next();
      await storage.close();
      assert.deepEqual(await within(rest, 3000, 'the watch to end'), { done: true, value: undefined });
      await assert.rejects(storage.get('/registry/pods/a'), (e: unknown) => isStorageError(e, 'UNAVAILABLE'));
    } finally {
      await other.stop();
    }
  });
});

describe('etcd storage over TLS with client certificates', () => {
  let dir: string;
  let pki: EtcdTestPki;
  let etcd: EtcdHandle;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bootkube-etcd-pki-'));
    pki = await makeEtcdTestPki(dir);
    etcd = await startEtcd({
      tls: {
        certFile: pki.serverCertFile,
        keyFile: pki.serverKeyFile,
        caFile: pki.caFile,
        trustedCaFile: pki.caFile,
        clientCertFile: pki.clientCertFile,
        clientKeyFile: pki.clientKeyFile,
      },
    });
  });
  after(async () => {
    await etcd?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads and writes with the CA and a client certificate', async () => {
    assert.match(etcd.endpoint, /^https:/);
    const storage = await createStorage({
      backend: 'etcd',
      endpoints: [etcd.endpoint],
      caFile: pki.caFile,
      certFile: pki.clientCertFile,
      keyFile: pki.clientKeyFile,
    });
    try {
      const created = await storage.create('/registry/namespaces/kube-system', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'kube-system' },
      });
      assert.equal((await storage.get('/registry/namespaces/kube-system'))?.revision, created.revision);
    } finally {
      await storage.close();
    }
  });

  it('reports a missing client certificate as UNAVAILABLE, not a hang', async () => {
    const storage = await createStorage({
      backend: 'etcd',
      endpoints: [etcd.endpoint],
      caFile: pki.caFile,
      requestTimeoutMs: 2000,
    });
    try {
      const err = await within(
        storage.get('/registry/x').catch((e: unknown) => e),
        4000,
        'the call to fail',
      );
      assert.ok(err instanceof UnavailableError, `expected UNAVAILABLE, got ${err}`);
      assert.match(
        err.userMessage(),
        /bad certificate: etcd's TLS was refused: check the etcd CA, the client certificate/,
      );
    } finally {
      await storage.close();
    }
  });

  it('names the file when a TLS file cannot be read', async () => {
    await assert.rejects(
      createStorage({ backend: 'etcd', endpoints: [etcd.endpoint], caFile: join(dir, 'missing.crt') }),
      (e: unknown) => isStorageError(e, 'INVALID_ARGUMENT') && e.message.includes('missing.crt'),
    );
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
