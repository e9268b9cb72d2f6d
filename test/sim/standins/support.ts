// Test support for the stand-ins: a rendered asset dir with bootstrap-secrets installed under a
// node's root dir, a SimNodeContext that maps container paths through hostPath volumes as the
// simulated kubelet does, and container contexts for the rendered control-plane pods.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { loadAssetDir, type AssetDir } from '../../../src/bootstrap/asset-dir.js';
import { installBootstrapSecrets } from '../../../src/bootstrap/host-paths.js';
import { loadClusterConfig } from '../../../src/config/index.js';
import { render } from '../../../src/render/render.js';
import type { ContainerContext, SimNodeContext } from '../../../src/sim/runtime.js';

export interface RenderedNode {
  work: string;
  assetDir: string;
  asset: AssetDir;
  /** The node's root: etc/kubernetes/bootstrap-secrets, var/lock/bootkube live under it. */
  rootDir: string;
  pod(
    name: 'bootstrap-kube-apiserver' | 'bootstrap-kube-controller-manager' | 'bootstrap-kube-scheduler',
  ): V1Pod;
  cleanup(): Promise<void>;
}

/** Renders assets (ECDSA, fast) for `nodeName` with the API at `apiServer` and etcd at `etcdServer`, and installs bootstrap-secrets. */
export async function renderNode(opts: {
  nodeName: string;
  apiServer: string;
  etcdServer: string;
}): Promise<RenderedNode> {
  const work = await mkdtemp(join(tmpdir(), 'standins-'));
  const assetDir = join(work, 'assets');
  const config = await loadClusterConfig({
    flags: {
      'node-name': opts.nodeName,
      'key-type': 'ecdsa-p256',
      'api-servers': opts.apiServer,
      'etcd-servers': opts.etcdServer,
    },
    bootkubeVersion: '0.1.0',
  });
  await render({ config, assetDir, force: false });
  const asset = await loadAssetDir(assetDir);
  const rootDir = join(work, 'root');
  await installBootstrapSecrets(asset, rootDir);
  await mkdir(join(rootDir, 'var/lock/bootkube'), { recursive: true });
  return {
    work,
    assetDir,
    asset,
    rootDir,
    pod(name) {
      const found = asset.bootstrapPods.find((p) => p.object.metadata.name === name);
      if (!found) throw new Error(`no bootstrap pod ${name}`);
      return structuredClone({
        ...found.object,
        metadata: { ...found.object.metadata, uid: `uid-${name}` },
      }) as V1Pod;
    },
    cleanup: () => rm(work, { recursive: true, force: true }),
  };
}

/** A node context whose containerPath follows the pod's hostPath volume mounts, longest mount first. */
export function nodeContext(nodeName: string, rootDir: string, apiServer: string): SimNodeContext {
  const hostPath = (p: string): string => join(rootDir, p);
  return {
    nodeName,
    rootDir,
    apiServer,
    hostPath,
    containerPath(pod, container, path) {
      const mounts = [...(container.volumeMounts ?? [])].sort(
        (a, b) => b.mountPath.length - a.mountPath.length,
      );
      for (const m of mounts) {
        const rel = posix.relative(m.mountPath, path);
        if (rel.startsWith('..') || posix.isAbsolute(rel)) continue;
        const volume = pod.spec?.volumes?.find((v) => v.name === m.name);
        if (!volume?.hostPath) return undefined;
        return hostPath(posix.join(volume.hostPath.path, m.subPath ?? '', rel));
      }
      return undefined;
    },
  };
}

export interface TestContainer {
  ctx: ContainerContext;
  kill(): void;
  logs: string[];
}

/** A container context for `pod`'s container `name`; kill() aborts its signal (SIGKILL). */
export function containerContext(
  node: SimNodeContext,
  pod: V1Pod,
  name: string,
  echo = Boolean(process.env.STANDIN_DEBUG),
): TestContainer {
  const container = pod.spec!.containers.find((c) => c.name === name) as V1Container;
  const ac = new AbortController();
  const logs: string[] = [];
  return {
    ctx: {
      node,
      pod,
      container,
      signal: ac.signal,
      log: (line) => {
        logs.push(line);
        if (echo) console.error(`[${pod.metadata?.name}] ${line}`);
      },
    },
    kill: () => ac.abort(),
    logs,
  };
}
