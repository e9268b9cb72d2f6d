// The conformance suite against both back ends: etcd (a private etcd per file) and memory.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Etcd3 } from 'etcd3';
import { EtcdStorage, MemoryStorage } from '../../../src/apiserver/storage/index.js';
import { startEtcd } from '../../helpers/etcd.js';
import { conformance } from './conformance.js';
import { FakeClock } from './support.js';

conformance('etcd', async () => {
  const etcd = await startEtcd();
  const storage = new EtcdStorage({ endpoints: [etcd.endpoint], requestTimeoutMs: 3000 });
  // Around the storage's own client: raw bytes go in with a second client, come out with etcdctl.
  const raw = new Etcd3({ hosts: etcd.endpoint });
  return {
    storage,
    async readRaw(key) {
      const { stdout } = await promisify(execFile)('etcdctl', [
        '--endpoints',
        etcd.endpoint,
        'get',
        key,
        '-w',
        'json',
      ]);
      const kv = (JSON.parse(stdout) as { kvs?: { value: string; mod_revision: number }[] }).kvs?.[0];
      return kv && { value: Buffer.from(kv.value, 'base64'), modRevision: String(kv.mod_revision) };
    },
    async writeRaw(key, value) {
      await raw.put(key).value(value);
    },
    // etcd checks leases every 500 ms; a 1 s TTL (the test etcd's minimum) is gone within ~2 s.
    passTime: async () => {},
    ttlDeadlineMs: 5000,
    async stop() {
      await storage.close();
      raw.close();
      await etcd.stop();
    },
  };
});

conformance('memory', async () => {
  const clock = new FakeClock();
  const storage = new MemoryStorage({ clock });
  return {
    storage,
    async readRaw(key) {
      return storage.getRaw(key);
    },
    async writeRaw(key, value) {
      storage.putRaw(key, value);
    },
    async passTime(seconds) {
      clock.advance(seconds * 1000);
    },
    ttlDeadlineMs: 1000,
    stop: () => storage.close(),
  };
});
