/**
 * The etcd back end: objects in etcd exactly where and how kube-apiserver keeps them, so the real
 * apiserver started after the hand-off reads every object the shim wrote (DESIGN.md §4).
 */
import type { EtcdClientOptions } from './etcd-client.js';
import { EtcdKv } from './etcd-kv.js';
import { KvStorage } from './kv-storage.js';

export type { EtcdTls } from './etcd-client.js';
export type EtcdStorageOptions = EtcdClientOptions;

export class EtcdStorage extends KvStorage {
  readonly endpoints: readonly string[];

  /** Connects lazily: the first call reports an unreachable etcd as UNAVAILABLE. */
  constructor(opts: EtcdStorageOptions) {
    super(new EtcdKv(opts));
    this.endpoints = [...opts.endpoints];
  }
}
