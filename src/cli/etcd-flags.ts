/** The etcd connection flags that start and preflight share, and what they mean together. */
import { Flags } from '@oclif/core';
import type { EtcdAccess } from '../bootstrap/options.js';
import { InputError } from '../errors.js';

class EtcdFlagsError extends InputError {
  readonly code = 'ETCD_FLAGS_INVALID';
}

export const etcdFlags = {
  'etcd-servers': Flags.string({
    description: "comma-separated etcd URLs [default: the asset dir's apiserver flags]",
  }),
  'etcd-ca-path': Flags.string({ description: "etcd's CA certificate [default: tls/etcd/ca.crt]" }),
  'etcd-certificate-path': Flags.string({
    description: 'etcd client certificate [default: tls/apiserver-etcd-client.crt]',
  }),
  'etcd-private-key-path': Flags.string({
    description: 'etcd client key [default: tls/apiserver-etcd-client.key]',
  }),
};

/** The etcd the flags name, or undefined for the asset dir's; TLS flags without --etcd-servers are refused. */
export function etcdAccessFromFlags(flags: { [K in keyof typeof etcdFlags]?: string }):
  EtcdAccess | undefined {
  if (!flags['etcd-servers']) {
    if (flags['etcd-ca-path'] || flags['etcd-certificate-path'] || flags['etcd-private-key-path']) {
      throw new EtcdFlagsError('the etcd TLS flags need --etcd-servers', {
        hint: 'give --etcd-servers, or leave them all to the asset dir',
      });
    }
    return undefined;
  }
  return {
    servers: flags['etcd-servers']
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    caFile: flags['etcd-ca-path'],
    certFile: flags['etcd-certificate-path'],
    keyFile: flags['etcd-private-key-path'],
  };
}
