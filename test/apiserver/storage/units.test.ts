// The pure parts of storage: the value codec, continue tokens and the etcd lease cache.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeValue, encodeValue, isStorageError } from '../../../src/apiserver/storage/index.js';
import { decodeContinue, encodeContinue } from '../../../src/apiserver/storage/continue.js';
import { LeaseCache } from '../../../src/apiserver/storage/etcd-leases.js';
import { prefixEnd } from '../../../src/apiserver/storage/etcd-client.js';
import { FakeClock, pod } from './support.js';

describe('value codec', () => {
  it('stores JSON without resourceVersion and leaves the caller object alone', () => {
    const obj = { ...pod('a'), metadata: { ...pod('a').metadata, resourceVersion: '7' } };
    const value = encodeValue('/registry/pods/default/a', obj);
    assert.equal(obj.metadata.resourceVersion, '7');
    const stored = JSON.parse(value.toString());
    assert.equal('resourceVersion' in stored.metadata, false);
    assert.equal(stored.metadata.uid, 'uid-a');
    assert.deepEqual(decodeValue('/k', value, '42').metadata, { ...stored.metadata, resourceVersion: '42' });
  });

  it('names the encryption provider and key of an encrypted value', () => {
    const value = Buffer.from('k8s:enc:kms:v2:my-kms:\x00\x01binary', 'latin1');
    assert.throws(
      () => decodeValue('/registry/secrets/kube-system/x', value, '3'),
      (e) =>
        isStorageError(e, 'UNREADABLE_VALUE') &&
        /\/registry\/secrets\/kube-system\/x.*kms provider with key "my-kms"/.test(e.message),
    );
  });

  it('refuses JSON that is not an object, and objects without kind on write', () => {
    assert.throws(
      () => decodeValue('/k', Buffer.from('[1]'), '3'),
      (e) => isStorageError(e, 'UNREADABLE_VALUE'),
    );
    assert.throws(
      () => encodeValue('/k', { kind: 'Pod' }),
      (e) => isStorageError(e, 'INVALID_ARGUMENT'),
    );
  });
});

describe('continue tokens', () => {
  it('reads the tokens kube-apiserver writes and writes the same', () => {
    const kube = Buffer.from('{"v":"meta.k8s.io/v1","rv":12,"start":"b\\u0000"}').toString('base64url');
    assert.deepEqual(decodeContinue('/registry/pods/', kube), { from: '/registry/pods/b\0', revision: '12' });
    const ours = encodeContinue('/registry/pods/', '/registry/pods/b\0', '12');
    assert.deepEqual(JSON.parse(Buffer.from(ours, 'base64url').toString()), {
      v: 'meta.k8s.io/v1',
      rv: 12,
      start: 'b\0',
    });
  });

  it('rejects tokens that are not ours', () => {
    for (const token of [
      '%%%',
      Buffer.from('{"v":"x","rv":1,"start":"a"}').toString('base64url'),
      Buffer.from('{"v":"meta.k8s.io/v1","rv":0,"start":"a"}').toString('base64url'),
    ]) {
      assert.throws(
        () => decodeContinue('/p/', token),
        (e) => isStorageError(e, 'INVALID_ARGUMENT'),
        token,
      );
    }
  });
});

describe('etcd lease cache', () => {
  it('shares a lease per TTL while it outlives a new key, granting 5 % (at most 60 s) longer', async () => {
    const clock = new FakeClock();
    const grants: number[] = [];
    const cache = new LeaseCache(async (ttl) => String(grants.push(ttl)), clock.now);
    const [a, b] = await Promise.all([cache.leaseFor(3600), cache.leaseFor(3600)]);
    assert.equal(a, b, 'concurrent writers share one grant');
    assert.deepEqual(grants, [3660]);
    clock.advance(59_000);
    assert.equal(await cache.leaseFor(3600), a, 'still outlives a new key');
    clock.advance(2_000);
    assert.notEqual(await cache.leaseFor(3600), a, 'would die before a new key: a new lease');
    assert.equal(await cache.leaseFor(100), '3');
    assert.deepEqual(grants, [3660, 3660, 105]);
    cache.forget('3');
    assert.equal(await cache.leaseFor(100), '4');
  });
});

describe('etcd prefix range end', () => {
  it('increments the last byte of the UTF-8 key', () => {
    assert.equal(prefixEnd('/registry/pods/').toString(), '/registry/pods0');
    assert.deepEqual(prefixEnd('/é'), Buffer.from([0x2f, 0xc3, 0xaa]));
  });
});
