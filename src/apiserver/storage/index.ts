/** Storage for the API server: the interface, its two back ends and their errors. */
import { readFile } from 'node:fs/promises';
import { EtcdStorage } from './etcd.js';
import { InvalidArgumentError } from './errors.js';
import { MemoryStorage, type MemoryStorageOptions } from './memory.js';
import type { Storage } from './types.js';

export * from './types.js';
export * from './errors.js';
export { EtcdStorage, type EtcdStorageOptions, type EtcdTls } from './etcd.js';
export { MemoryStorage, type MemoryStorageOptions, type Clock } from './memory.js';
export { decodeValue, encodeValue } from './codec.js';
export type { RawKv } from './kv.js';

export type StorageConfig =
  | ({ backend: 'memory' } & MemoryStorageOptions)
  | {
      backend: 'etcd';
      /** `https://10.0.0.10:2379`, … */
      endpoints: readonly string[];
      /** PEM files: the CA of etcd's serving certificate, and the client certificate and key. */
      caFile?: string;
      certFile?: string;
      keyFile?: string;
      requestTimeoutMs?: number;
    };

/** The back end config names; etcd TLS files are read here (INVALID_ARGUMENT naming an unreadable one). */
export async function createStorage(config: StorageConfig): Promise<Storage> {
  if (config.backend === 'memory') return new MemoryStorage(config);
  if (config.endpoints.length === 0) throw new InvalidArgumentError('no etcd endpoints given');
  const https = config.endpoints.filter((e) => e.startsWith('https://')).length;
  if (https !== 0 && https !== config.endpoints.length) {
    throw new InvalidArgumentError(`etcd endpoints mix http:// and https://: ${config.endpoints.join(', ')}`);
  }
  if (https === 0 && (config.caFile || config.certFile || config.keyFile)) {
    throw new InvalidArgumentError(
      `etcd TLS files given but the endpoints are not https://: ${config.endpoints.join(', ')}`,
    );
  }
  if (Boolean(config.certFile) !== Boolean(config.keyFile)) {
    throw new InvalidArgumentError('an etcd client certificate needs its key, and a key its certificate');
  }
  if (https > 0 && !config.caFile) {
    throw new InvalidArgumentError('https:// etcd endpoints need the etcd CA file');
  }
  const tls = config.caFile
    ? {
        ca: await readPem(config.caFile),
        cert: config.certFile ? await readPem(config.certFile) : undefined,
        key: config.keyFile ? await readPem(config.keyFile) : undefined,
      }
    : undefined;
  return new EtcdStorage({ endpoints: config.endpoints, tls, requestTimeoutMs: config.requestTimeoutMs });
}

async function readPem(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new InvalidArgumentError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}
