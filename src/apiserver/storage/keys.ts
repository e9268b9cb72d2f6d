/** Checks of the keys, prefixes and revisions callers pass in, shared by every back end. */
import { InvalidArgumentError } from './errors.js';

/** A single object's key: non-empty, not a prefix. */
export function checkKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0 || key.endsWith('/')) {
    throw new InvalidArgumentError(`not an object key: ${JSON.stringify(key)}`);
  }
  return key;
}

/**
 * A list or watch prefix, with '/' appended as kube-apiserver's store does (storage/etcd3/store.go
 * GetList): listing `/registry/pods/def` must not return `/registry/pods/default/…`.
 */
export function listPrefix(prefix: string): string {
  if (typeof prefix !== 'string' || prefix.length === 0) {
    throw new InvalidArgumentError(`not a key prefix: ${JSON.stringify(prefix)}`);
  }
  return prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/** A revision (resourceVersion) as a bigint: a decimal string of a non-negative int64. */
export function parseRevision(revision: string, what = 'revision'): bigint {
  if (typeof revision !== 'string' || !/^(0|[1-9][0-9]{0,18})$/.test(revision)) {
    throw new InvalidArgumentError(
      `${what} ${JSON.stringify(revision)} is not a resource version (a decimal number)`,
    );
  }
  const value = BigInt(revision);
  if (value > 0x7fffffffffffffffn) throw new InvalidArgumentError(`${what} ${revision} is out of range`);
  return value;
}

/** A TTL in whole seconds, at least 1 (etcd leases are granted in seconds). */
export function checkTtl(ttlSeconds: number | undefined): number | undefined {
  if (ttlSeconds === undefined) return undefined;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) {
    throw new InvalidArgumentError(`ttlSeconds must be a whole number of seconds ≥ 1, not ${ttlSeconds}`);
  }
  return ttlSeconds;
}
