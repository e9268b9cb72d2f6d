/**
 * A simulated machine: its root dir (every host path under it), its container runtime (which, like
 * containerd, outlives the kubelet) and its kubelet. start() boots it as the rendered kubelet unit
 * does (host dirs, the API hand-off lock file created 0644 and never replaced, then the kubelet);
 * stop() is a power-off (every container dies on the spot); reboot() is stop then start, so static
 * pods come back from disk at once and API pods when the API answers; restartKubelet() is
 * `systemctl restart kubelet` (containers keep running and are adopted).
 */
import { mkdir } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { ensureLockFile } from '../lock/index.js';
import { API_SERVER_LOCK, HOST_PATHS, LABELS } from '../render/constants.js';
import { genericRunner } from './generic-runner.js';
import type { RequestRecord } from './kubelet/api-client.js';
import type { Clock } from './kubelet/clock.js';
import { ContainerRuntime } from './kubelet/container-runtime.js';
import { Kubelet, type KubeletEvent } from './kubelet/kubelet.js';
import { volumeDir } from './kubelet/volume-files.js';
import type { ContainerRunner, SimNodeContext } from './runtime.js';

/** The rendered kubelet unit's lock file (assets/kubelet.service: --lock-file). */
export const KUBELET_LOCK_FILE = '/var/run/lock/kubelet.lock';
/** What render's control-plane manifests select and tolerate. */
export const MASTER_TAINT = { key: LABELS.controlPlaneRole, effect: 'NoSchedule' };

export interface SimNodeOptions {
  name: string;
  /** The machine's "/": every host path lives under it. */
  rootDir: string;
  credentials: { server: string; ca: string; cert: string; key: string };
  clock: Clock;
  nodeIP: string;
  /** A master registers with the control-plane taint (the label is set by an admin, never by itself). */
  master?: boolean;
  /** Runners tried before the generic one (the stand-ins). */
  runners?: (node: SimNodeContext) => ContainerRunner[];
  /** The kubelet's lock: `--lock-file` (default: the unit's, on masters) and `--exit-on-lock-contention`. */
  lockFile?: string | false;
  exitOnLockContention?: boolean;
  podsPort?: number;
  /** Restart a kubelet that failed (exit ≠ 0) after 5 s, as the unit's Restart=always does (default true). */
  restartOnFailure?: boolean;
  pullDelayMs?: number;
  sandboxDelayMs?: number;
  /** Files of container images (path in the image → a real file), for `cp` out of an image. */
  imageFiles?: Record<string, string>;
  onRequest?: (r: RequestRecord) => void;
  onEvent?: (e: KubeletEvent) => void;
  random?: () => number;
}

export class SimNode {
  readonly runtime: ContainerRuntime;
  readonly context: SimNodeContext;
  kubelet?: Kubelet;
  powered = false;

  constructor(readonly o: SimNodeOptions) {
    this.context = nodeContext(o.name, resolve(o.rootDir), o.credentials.server);
    const runners = [
      ...(o.runners?.(this.context) ?? []),
      genericRunner({ clock: o.clock, imageFiles: o.imageFiles }),
    ];
    this.runtime = new ContainerRuntime(this.context, o.clock, runners);
    this.context.runtimePods = () => this.runtime.listPods();
    this.context.kubeletPort = () => this.kubelet?.podsPort || undefined;
  }

  get name(): string {
    return this.o.name;
  }

  hostPath(path: string): string {
    return this.context.hostPath(path);
  }

  /** Powers on (if off) and starts a kubelet; resolves once the kubelet runs. */
  async start(): Promise<Kubelet> {
    if (!this.powered) {
      await this.prepareHost();
      this.powered = true;
    }
    const o = this.o;
    const lockFile =
      o.lockFile === false
        ? undefined
        : (o.lockFile ?? (o.master ? this.hostPath(KUBELET_LOCK_FILE) : undefined));
    const kubelet = new Kubelet({
      nodeName: o.name,
      credentials: o.credentials,
      runtime: this.runtime,
      clock: o.clock,
      nodeIP: o.nodeIP,
      staticPodPath: this.hostPath(HOST_PATHS.staticPods),
      lockFile,
      exitOnLockContention: o.exitOnLockContention ?? !!lockFile,
      registerWithTaints: o.master ? [MASTER_TAINT] : [],
      podsPort: o.podsPort,
      pullDelayMs: o.pullDelayMs,
      sandboxDelayMs: o.sandboxDelayMs,
      onRequest: o.onRequest,
      onEvent: o.onEvent,
      random: o.random,
    });
    this.kubelet = kubelet;
    await kubelet.start();
    void kubelet.exited.then(async ({ code }) => {
      // systemd: RestartSec=5, then the same unit again (a clean exit, e.g. lock contention, stays down).
      if (code === 0 || o.restartOnFailure === false || this.kubelet !== kubelet || !this.powered) return;
      await o.clock.sleep(5000);
      if (this.kubelet === kubelet && this.powered) await this.start().catch(() => undefined);
    });
    return kubelet;
  }

  // The unit's ExecStartPre: host dirs, and the hand-off lock file (0644, never replaced).
  private async prepareHost(): Promise<void> {
    for (const p of [
      HOST_PATHS.staticPods,
      HOST_PATHS.inactiveManifests,
      HOST_PATHS.lockDir,
      '/var/lib/kubelet',
      HOST_PATHS.cniConfDir,
      HOST_PATHS.cniBinDir,
    ]) {
      await mkdir(this.hostPath(p), { recursive: true });
    }
    for (const p of [HOST_PATHS.checkpointSecrets, HOST_PATHS.checkpointConfigMaps])
      await mkdir(this.hostPath(p), { recursive: true, mode: 0o700 });
    await ensureLockFile(this.hostPath(API_SERVER_LOCK));
  }

  /** `systemctl restart kubelet`: the kubelet process ends and a new one adopts the running containers. */
  async restartKubelet(): Promise<Kubelet> {
    await this.kubelet?.exit(0, 'restarted');
    return this.start();
  }

  /** Power off: the kubelet dies with every container. */
  async stop(): Promise<void> {
    await this.kubelet?.exit(0, 'node stopped');
    this.runtime.powerOff();
    this.powered = false;
  }

  /** Power cycle: everything dies; static pods come back from disk, API pods when the API answers. */
  async reboot(): Promise<Kubelet> {
    await this.stop();
    return this.start();
  }
}

/** The view a container gets of its node: host paths under the root, and its own hostPath mounts. */
export function nodeContext(nodeName: string, rootDir: string, apiServer: string): SimNodeContext {
  const hostPath = (p: string) => {
    const joined = resolve(rootDir, `.${sep}${resolve('/', p)}`);
    // Never outside the root, whatever `..` a manifest holds.
    return relative(rootDir, joined).startsWith('..') ? rootDir : joined;
  };
  return {
    nodeName,
    rootDir,
    apiServer,
    hostPath,
    containerPath(pod: V1Pod, container: V1Container, path: string) {
      let best: { mount: string; host: string } | undefined;
      for (const m of container.volumeMounts ?? []) {
        const mountPath = m.mountPath.replace(/\/+$/, '') || '/';
        if (path !== mountPath && !path.startsWith(`${mountPath === '/' ? '' : mountPath}/`)) continue;
        const vol = (pod.spec?.volumes ?? []).find((v) => v.name === m.name);
        // hostPath: the path itself; secret, configMap, emptyDir, projected, downwardAPI: where the kubelet wrote them.
        const base = vol?.hostPath
          ? vol.hostPath.path
          : vol && pod.metadata?.uid
            ? volumeDir(pod.metadata.uid, vol)
            : undefined;
        if (!base || (best && best.mount.length >= mountPath.length)) continue;
        best = { mount: mountPath, host: join(base, m.subPath ?? '') };
      }
      if (!best) return undefined;
      return hostPath(join(best.host, path.slice(best.mount.length)));
    },
  };
}
