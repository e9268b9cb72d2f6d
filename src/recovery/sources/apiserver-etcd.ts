/**
 * The etcd a checkpointed apiserver used, with the credentials its checkpointed Secret holds. The
 * pod checkpointer keeps only the apiserver; with this, a recovery from checkpoints reads the
 * controller-manager and scheduler from the cluster's etcd without the operator naming it.
 */
import type { EtcdTls } from '../../apiserver/storage/index.js';
import type { Component } from '../control-plane.js';
import type { KubeObject } from '../types.js';
import type { EtcdSourceOptions } from './etcd.js';

/** The etcd flags of the apiserver `c`, resolved against the Secrets mounted in its pod; undefined if it names none. */
export function etcdOfApiserver(
  c: Component,
  secrets: Map<string, () => KubeObject>,
): (EtcdSourceOptions & { tls?: EtcdTls }) | undefined {
  const container = (c.template.spec.containers ?? []).find((x: any) =>
    [...(x.command ?? []), ...(x.args ?? [])].some((a: string) => a.startsWith('--etcd-servers=')),
  );
  if (!container) return undefined;
  const args: string[] = [...(container.command ?? []), ...(container.args ?? [])];
  const flag = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const file = (path: string | undefined): Buffer | undefined => {
    if (!path) return undefined;
    for (const m of container.volumeMounts ?? []) {
      const dir = String(m.mountPath).replace(/\/$/, '');
      if (!path.startsWith(`${dir}/`)) continue;
      const volume = (c.template.spec.volumes ?? []).find((v: any) => v.name === m.name);
      const data = volume?.secret
        ? (secrets.get(volume.secret.secretName)?.().data as Record<string, string>)
        : undefined;
      const value = data?.[path.slice(dir.length + 1)];
      if (value !== undefined) return Buffer.from(value, 'base64');
    }
    return undefined;
  };
  const endpoints = (flag('etcd-servers') ?? '').split(',').filter(Boolean);
  const ca = file(flag('etcd-cafile'));
  return {
    endpoints,
    prefix: flag('etcd-prefix'),
    description: `etcd at ${endpoints.join(', ')} (the checkpointed apiserver's)`,
    ...(ca ? { tls: { ca, cert: file(flag('etcd-certfile')), key: file(flag('etcd-keyfile')) } } : {}),
  };
}
