/**
 * The bootstrap sequence of DESIGN §3 as methods over one run's state. tasks.ts lays them out for
 * listr2; each step works out from etcd, the lock and the API whether it has already happened, so
 * `start` run again after an interruption anywhere goes on where the last run stopped.
 */
import { X509Certificate } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { abortableSleep } from '../checkpointer/abort.js';
import { loadClusterAccess } from '../checkpointer/sources/api.js';
import { createApiServer, listen, type ShimServer } from '../apiserver/index.js';
import { createStorage, type Storage } from '../apiserver/storage/index.js';
import { borrowedStorage } from '../apiserver/storage/borrowed.js';
import { flockState, tryAcquire, type HandoffLock } from '../lock/index.js';
import { API_SERVER_LOCK, HOST_PATHS, LABELS, NAMESPACE } from '../render/constants.js';
import { loadAssetDir, type AssetDir } from './asset-dir.js';
import { ApiClient, answerMessage } from './client.js';
import { diagnose } from './diagnose.js';
import {
  ApiPortHeldError,
  AssetDirError,
  EtcdUnusableError,
  HandoffLockBusyError,
  StartInterruptedError,
  StartTimeoutError,
} from './errors.js';
import { hostPath, installBootstrapSecrets } from './host-paths.js';
import { describe, ensureObject, type ObjectResult } from './objects.js';
import type { EtcdAccess, Phase, StartOptions } from './options.js';
import { AvailabilityProbe, readyz, type Gap, type ReadyzTarget } from './probe.js';

export interface PhaseTiming {
  phase: Phase;
  ms: number;
  skipped?: string;
}

export interface StartSummary {
  nodeName: string;
  apiServer: string;
  /** Where the run began: fresh, or resumed through a serving API server. */
  resumed: boolean;
  phases: PhaseTiming[];
  gaps: Gap[];
  objects: ObjectResult[];
  /** kube-system pods bound to nodes the API no longer has (masters lost in an outage), removed at the end. */
  removedStalePods: string[];
  /** Milliseconds from the start to the verified control plane. */
  totalMs: number;
}

const SYSTEM_NAMESPACES = [NAMESPACE, 'kube-node-lease', 'default'];

/** The apiserver flag value `--name=value` from the bootstrap apiserver pod's command. */
function apiserverFlag(asset: AssetDir, name: string): string | undefined {
  for (const pod of asset.bootstrapPods) {
    for (const c of (pod.object as any).spec?.containers ?? []) {
      for (const arg of [...(c.command ?? []), ...(c.args ?? [])]) {
        const m = new RegExp(`^--${name}=(.*)$`).exec(String(arg));
        if (m) return m[1];
      }
    }
  }
  return undefined;
}

/** The etcd the asset dir's apiservers use, with their client certificate. */
export function etcdFromAssets(asset: AssetDir): EtcdAccess {
  const servers = (apiserverFlag(asset, 'etcd-servers') ?? '').split(',').filter(Boolean);
  if (servers.length === 0)
    throw new EtcdUnusableError(`${asset.root}: the bootstrap apiserver names no --etcd-servers`, {
      hint: 'give --etcd-servers',
    });
  const tls = servers[0]!.startsWith('https://');
  return {
    servers,
    ...(tls
      ? {
          caFile: `${asset.root}/tls/etcd/ca.crt`,
          certFile: `${asset.root}/tls/apiserver-etcd-client.crt`,
          keyFile: `${asset.root}/tls/apiserver-etcd-client.key`,
        }
      : {}),
  };
}

export class BootstrapRun {
  asset!: AssetDir;
  nodeName!: string;
  client!: ApiClient;
  target!: ReadyzTarget;
  resumed = false;
  readonly objects: ObjectResult[] = [];
  readonly gaps: Gap[] = [];
  readonly removedStalePods: string[] = [];
  private storage?: Storage;
  private shim?: ShimServer;
  private lock?: HandoffLock;
  private deadline = 0;

  constructor(readonly o: StartOptions) {}

  get lockPath(): string {
    return hostPath(this.o.rootDir, API_SERVER_LOCK);
  }

  /** Starts a phase's clock; waits in it end at the phase's timeout. */
  beginPhase(phase: Phase): void {
    this.deadline = Date.now() + this.o.timeouts[phase];
  }

  private progress(line: string): void {
    this.o.progress?.(line);
  }

  private checkAborted(): void {
    if (this.o.signal.aborted)
      throw new StartInterruptedError('interrupted', {
        hint: 'run the same `bootkube start` again to resume where it stopped',
      });
  }

  /** Waits until `check` returns a value (not undefined), showing `what`; on timeout, the diagnosis. */
  async waitUntil<T>(what: string, check: () => Promise<T | undefined>, intervalMs = 100): Promise<T> {
    this.progress(`waiting for ${what}`);
    for (;;) {
      this.checkAborted();
      const v = await check().catch(() => undefined);
      if (v !== undefined) return v;
      if (Date.now() > this.deadline) {
        const lines = await diagnose(this.client, { nodeName: this.nodeName, namespace: NAMESPACE }).catch(
          () => [] as string[],
        );
        throw new StartTimeoutError(`timed out waiting for ${what}`, {
          hint: 'see the diagnosis above; fix that and run `bootkube start` again: it resumes where it stopped (or raise --timeout)',
          details: lines,
        });
      }
      await abortableSleep(intervalMs, this.o.signal);
    }
  }

  // 1. Preflight: the asset dir, etcd, the API address.
  async preflight(): Promise<void> {
    this.asset = await loadAssetDir(this.o.assetDir);
    const access = await loadClusterAccess(this.asset.adminKubeconfig);
    this.client?.close();
    this.client = new ApiClient(access, this.o.apiDial ?? this.asset.apiServer);
    this.target = {
      server: this.o.apiDial ?? this.asset.apiServer,
      servername: this.asset.apiServer.hostname,
      ca: this.asset.caPem,
    };
    this.nodeName = this.o.nodeName ?? (await nodeNameOf(this.asset.kubeletKubeconfig));
    if (this.o.storage) {
      this.storage = borrowedStorage(this.o.storage);
      return;
    }
    const etcd = this.o.etcd ?? etcdFromAssets(this.asset);
    this.storage = await createStorage({
      backend: 'etcd',
      endpoints: etcd.servers,
      caFile: etcd.caFile,
      certFile: etcd.certFile,
      keyFile: etcd.keyFile,
      requestTimeoutMs: 5000,
    }).catch((cause) => {
      throw new EtcdUnusableError(`etcd ${etcd.servers.join(',')}: ${(cause as Error).message}`, {
        hint: 'check --etcd-servers and the etcd TLS flags',
        cause,
      });
    });
    try {
      await this.storage.currentRevision();
    } catch (cause) {
      await this.closeStorage();
      throw new EtcdUnusableError(
        `etcd ${etcd.servers.join(',')} does not answer: ${(cause as Error).message.split('\n')[0]}`,
        {
          hint: 'is etcd running and healthy, and are --etcd-servers and the etcd CA right?',
          cause,
        },
      );
    }
  }

  // 2. Resume through a serving API server, or take the hand-off lock.
  async takeLockOrResume(): Promise<void> {
    for (;;) {
      this.checkAborted();
      if (await readyz(this.target)) {
        this.resumed = true;
        await this.closeStorage();
        return;
      }
      this.lock = await tryAcquire(this.lockPath);
      if (this.lock) return;
      // A crash-looping or starting apiserver holds it only now and then, or is about to serve.
      if (Date.now() > this.deadline) {
        const { holders } = await flockState(this.lockPath).catch(() => ({ holders: [] as number[] }));
        throw new HandoffLockBusyError(
          `the API hand-off lock ${this.lockPath} is held${holders.length ? ` by PID ${holders.join(', ')}` : ''}, and no API server answers ${this.target.server.origin}/readyz`,
          {
            hint: 'an apiserver on this node holds it without serving: look at its pod (crictl ps) and its log',
          },
        );
      }
      this.progress('the hand-off lock is held and no API server answers yet; retrying');
      await abortableSleep(200, this.o.signal);
    }
  }

  // 3. The shim in bootstrap mode, on the API address.
  async startShim(): Promise<void> {
    const read = (p: string) => readFile(join(this.asset.root, p));
    this.shim = await createApiServer({
      storage: this.storage!,
      tlsCert: await read('tls/apiserver.crt'),
      tlsKey: await read('tls/apiserver.key'),
      clientCa: this.asset.caPem,
      mode: 'bootstrap',
      nodeName: this.nodeName,
    });
    const at = this.o.apiDial ?? this.asset.apiServer;
    try {
      await listen(this.shim, { host: at.hostname.replace(/^\[|\]$/g, ''), port: Number(at.port || 443) });
    } catch (cause) {
      await this.stopShim();
      const code = (cause as NodeJS.ErrnoException).code;
      throw new ApiPortHeldError(
        `cannot serve the API on ${at.host}: ${code === 'EADDRINUSE' ? 'another program holds the port' : code === 'EADDRNOTAVAIL' ? 'no interface of this machine has that address' : (cause as Error).message}`,
        {
          hint:
            code === 'EADDRINUSE'
              ? `find it with \`ss -ltnp 'sport = :${at.port || 443}'\` and stop it`
              : 'run start on the master the asset dir names, or render for this machine',
          cause,
        },
      );
    }
  }

  /** Stops accepting, destroys every connection, waits for handlers, closes etcd: nothing is written after it. */
  async stopShim(): Promise<void> {
    await this.shim?.close();
    this.shim = undefined;
    await this.closeStorage();
  }

  private async closeStorage(): Promise<void> {
    await this.storage?.close();
    this.storage = undefined;
  }

  async releaseLock(): Promise<void> {
    await this.lock?.release();
    this.lock = undefined;
  }

  private async ensure(object: any, file?: string): Promise<void> {
    try {
      this.objects.push(
        await ensureObject(this.client, object, {
          file,
          update: this.o.updateExisting,
          deadline: this.deadline,
          signal: this.o.signal,
          progress: (l) => this.progress(l),
        }),
      );
    } catch (err) {
      if (this.o.strict || (err as { code?: string }).code !== 'OBJECT_REJECTED') throw err;
      this.objects.push({
        object: describe(object),
        file,
        outcome: 'failed',
        message: (err as Error).message,
      });
    }
  }

  // 4. Namespaces and the bootstrap pods through the shim; the node labelled once it registers.
  async createBootstrapPods(): Promise<void> {
    await installBootstrapSecrets(this.asset, this.o.rootDir);
    for (const name of SYSTEM_NAMESPACES)
      await this.ensure({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    for (const { file, object } of this.asset.bootstrapPods) {
      const o = object as any;
      await this.ensure({ ...o, spec: { ...o.spec, nodeName: this.nodeName } }, file);
    }
  }

  /**
   * Resuming through an API that answers while no scheduler or controller-manager is Ready (their
   * Deployments deleted, or crash-looping with nothing left to place a fixed version: bootkube#112):
   * the asset dir's bootstrap pods of the missing ones, through the API, bound to this node, so
   * that they place the self-hosted ones again; hand-off 2 removes them. The bootstrap apiserver is
   * left out: it would only wait on the lock the serving apiserver holds. Returns what it restored.
   */
  async restoreMissingComponents(): Promise<string[]> {
    const ready = (p: any) =>
      !p.metadata?.deletionTimestamp &&
      (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
    const missing: Array<{ file: string; object: any }> = [];
    for (const pod of this.asset.bootstrapPods) {
      const component = /^bootstrap-(kube-scheduler|kube-controller-manager)$/.exec(
        (pod.object as any).metadata?.name ?? '',
      )?.[1];
      if (!component) continue;
      if ((await this.pods(`${LABELS.app}=${component}`)).some(ready)) continue;
      missing.push(pod);
    }
    if (!missing.length) return [];
    await installBootstrapSecrets(this.asset, this.o.rootDir);
    for (const { file, object } of missing) {
      const o = object as any;
      await this.ensure({ ...o, spec: { ...o.spec, nodeName: this.nodeName } }, file);
    }
    return missing.map((p) => (p.object as any).metadata.name);
  }

  async labelNode(): Promise<void> {
    const path = `/api/v1/nodes/${encodeURIComponent(this.nodeName)}`;
    await this.waitUntil(`node ${this.nodeName} to register (the kubelet on this machine)`, async () =>
      (await this.client.request('GET', path)).status === 200 ? true : undefined,
    );
    await this.waitUntil(`the control-plane label on node ${this.nodeName}`, async () => {
      const a = await this.client.request('PATCH', path, {
        body: { metadata: { labels: { [LABELS.controlPlaneRole]: '' } } },
        contentType: 'application/merge-patch+json',
      });
      return a.status === 200 ? true : undefined;
    });
  }

  // 5. Hand-off 1: shim → bootstrap apiserver.
  async handOff1(): Promise<void> {
    const n = encodeURIComponent(this.nodeName);
    const exists = async (path: string) =>
      (await this.client.request('GET', path)).status === 200 ? true : undefined;
    await this.waitUntil(
      `the Node, Lease and CSINode of ${this.nodeName}`,
      async () =>
        (await exists(`/api/v1/nodes/${n}`)) &&
        (await exists(`/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${n}`)) &&
        (await exists(`/apis/storage.k8s.io/v1/csinodes/${n}`)),
    );
    await this.waitUntil(
      `the bootstrap apiserver's lockexec to wait on ${this.lockPath}`,
      async () => ((await flockState(this.lockPath)).waiters.length > 0 ? true : undefined),
      50,
    );
    const probe = new AvailabilityProbe(this.target);
    probe.start();
    await this.stopShim();
    await this.releaseLock();
    try {
      await this.waitUntil(
        'the bootstrap apiserver to answer /readyz',
        async () => ((await readyz(this.target)) ? true : undefined),
        25,
      );
    } catch (err) {
      this.gaps.push(probe.stop('hand-off 1'));
      if (!(err instanceof StartTimeoutError)) throw err;
      await this.takeBack(err);
    }
    this.gaps.push(probe.stop('hand-off 1'));
    this.client.forgetDiscovery();
  }

  /** The bootstrap apiserver never came: serve again, so the node keeps an API, and say why. */
  private async takeBack(why: StartTimeoutError): Promise<never> {
    const pod = await (async () => {
      this.lock = await tryAcquire(this.lockPath);
      if (!this.lock) return 'the lock is still held by the bootstrap apiserver, which does not serve';
      await this.preflight();
      await this.startShim();
      const a = await this.client.request(
        'GET',
        `/api/v1/namespaces/${NAMESPACE}/pods/bootstrap-kube-apiserver`,
      );
      const { describeContainers } = await import('./diagnose.js');
      return a.status === 200
        ? `the shim serves again; bootstrap-kube-apiserver: ${describeContainers(a.body).join(';').trim()}`
        : `the shim serves again (${answerMessage(a)})`;
    })();
    throw new StartTimeoutError(`hand-off 1 failed: ${why.message}; ${pod}`, {
      hint: 'fix the bootstrap apiserver (its flags, certificates, etcd) and run `bootkube start` again',
    });
  }

  // 6. The self-hosted control plane through the real API.
  async createSelfHosted(): Promise<void> {
    for (const { file, object } of this.asset.manifests) {
      await this.ensure(object, file);
      if (object.kind === 'CustomResourceDefinition') {
        const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${object.metadata.name}`;
        await this.waitUntil(`CRD ${object.metadata.name} to be established`, async () => {
          const a = await this.client.request('GET', path);
          return (a.body?.status?.conditions ?? []).some(
            (c: any) => c.type === 'Established' && c.status === 'True',
          )
            ? true
            : undefined;
        });
      }
    }
  }

  private async pods(selector: string): Promise<any[]> {
    const a = await this.client.request(
      'GET',
      `/api/v1/namespaces/${NAMESPACE}/pods?labelSelector=${encodeURIComponent(selector)}`,
    );
    if (a.status !== 200) throw new Error(answerMessage(a));
    return a.body.items ?? [];
  }

  private onNode(pod: any): boolean {
    return pod.spec?.nodeName === this.nodeName && !pod.metadata?.deletionTimestamp;
  }

  // 7. Scheduler and controller-manager Ready, the apiserver checkpointed and waiting on the lock.
  async waitForSelfHosted(): Promise<void> {
    const ready = (p: any) =>
      (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
    for (const app of ['kube-scheduler', 'kube-controller-manager']) {
      await this.waitUntil(
        `a Ready ${app} pod`,
        async () => ((await this.pods(`${LABELS.app}=${app}`)).some(ready) ? true : undefined),
        200,
      );
    }
    await this.waitUntil(
      `the self-hosted kube-apiserver container running on ${this.nodeName}`,
      async () => {
        const pods = (await this.pods(`${LABELS.app}=kube-apiserver`)).filter((p) => this.onNode(p));
        return pods.some((p) =>
          (p.status?.containerStatuses ?? []).some(
            (c: any) => c.name === 'kube-apiserver' && c.state?.running,
          ),
        )
          ? true
          : undefined;
      },
      200,
    );
    const inactive = hostPath(this.o.rootDir, HOST_PATHS.inactiveManifests);
    await this.waitUntil(
      `the pod checkpointer's checkpoint of kube-apiserver in ${inactive}`,
      async () =>
        (await readdir(inactive).catch(() => [] as string[])).some((f) =>
          f.startsWith(`${NAMESPACE}-kube-apiserver-`),
        )
          ? true
          : undefined,
      200,
    );
    await this.waitForInactiveApiserverCheckpoint();
  }

  /**
   * The checkpointer may activate a new checkpoint whose parent the kubelet is still starting (v0.14's
   * state machine does), and steps it down at its next pass once the parent runs. A hand-off while the
   * copy is active would let the copy, not the self-hosted pod, take the lock: wait it out.
   */
  private async waitForInactiveApiserverCheckpoint(): Promise<void> {
    const dir = hostPath(this.o.rootDir, HOST_PATHS.staticPods);
    const active = async () =>
      (await readdir(dir).catch(() => [] as string[])).some((f) =>
        f.startsWith(`${NAMESPACE}-kube-apiserver-`),
      );
    await this.waitUntil(
      'the kube-apiserver checkpoint to be inactive (its parent runs)',
      async () => ((await active()) ? undefined : true),
      200,
    );
  }

  // 8. Hand-off 2: bootstrap → self-hosted.
  async handOff2(): Promise<boolean> {
    const bootstrap = this.asset.bootstrapPods.map((p) => p.object.metadata.name);
    const path = (name: string) => `/api/v1/namespaces/${NAMESPACE}/pods/${encodeURIComponent(name)}`;
    const present = async () => {
      const out: string[] = [];
      for (const name of bootstrap)
        if ((await this.client.request('GET', path(name))).status !== 404) out.push(name);
      return out;
    };
    if ((await present()).length === 0) return false;
    const probe = new AvailabilityProbe(this.target);
    probe.start();
    // The apiserver last: the controller-manager and scheduler must not outlive the API they lead with.
    const order = [...bootstrap].sort((a, b) => Number(/apiserver/.test(a)) - Number(/apiserver/.test(b)));
    for (const name of order) {
      await this.waitUntil(`the deletion of ${name}`, async () => {
        const a = await this.client.request('DELETE', path(name));
        return a.status === 200 || a.status === 202 || a.status === 404 ? true : undefined;
      });
    }
    await this.waitUntil(
      'the bootstrap pods to be gone and the self-hosted apiserver to answer',
      async () => ((await present()).length === 0 && (await readyz(this.target)) ? true : undefined),
      50,
    );
    this.gaps.push(probe.stop('hand-off 2'));
    return true;
  }

  // 9. Verify: /readyz, required pods Ready, node Ready; then bootstrap-secrets go.
  async verify(): Promise<void> {
    await this.waitUntil('/readyz', async () => ((await readyz(this.target)) ? true : undefined));
    await this.waitUntil(`node ${this.nodeName} Ready`, async () => {
      const a = await this.client.request('GET', `/api/v1/nodes/${encodeURIComponent(this.nodeName)}`);
      return (a.body?.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True')
        ? true
        : undefined;
    });
    for (const req of this.o.requiredPods) {
      const [ns, prefix] = req.includes('/') ? req.split('/', 2) : [NAMESPACE, req];
      await this.waitUntil(
        `a Ready pod ${ns}/${prefix}*`,
        async () => {
          const a = await this.client.request('GET', `/api/v1/namespaces/${encodeURIComponent(ns!)}/pods`);
          const pods = (a.body?.items ?? []).filter(
            (p: any) => p.metadata.name.startsWith(prefix!) && !p.metadata.deletionTimestamp,
          );
          return pods.some((p: any) =>
            (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True'),
          )
            ? true
            : undefined;
        },
        200,
      );
    }
    await this.waitForInactiveApiserverCheckpoint();
    await this.removeStalePods();
    await rm(hostPath(this.o.rootDir, HOST_PATHS.bootstrapSecrets), { recursive: true, force: true });
  }

  /**
   * After an outage (start on a recovered dir), the pod records of masters that are gone for good
   * (their Node deleted, or never to come back under that name) still name those nodes; no kubelet
   * will ever confirm their deletion, and kube-controller-manager's pod GC is not there to do it
   * during a bootstrap. Once the control plane here is verified, the kube-system pods bound to a
   * node the API does not have are deleted at once (grace 0, UID precondition). Pods of nodes that
   * exist, Ready or not, are left alone: a master that is merely down comes back to them.
   */
  private async removeStalePods(): Promise<void> {
    const nodes = await this.client.request('GET', '/api/v1/nodes');
    const pods = await this.client.request('GET', `/api/v1/namespaces/${NAMESPACE}/pods`);
    if (nodes.status !== 200 || pods.status !== 200) return;
    const live = new Set((nodes.body.items ?? []).map((n: any) => n.metadata.name));
    for (const pod of pods.body.items ?? []) {
      const node = pod.spec?.nodeName;
      if (!node || live.has(node)) continue;
      const a = await this.client.request(
        'DELETE',
        `/api/v1/namespaces/${NAMESPACE}/pods/${encodeURIComponent(pod.metadata.name)}`,
        {
          body: {
            kind: 'DeleteOptions',
            apiVersion: 'v1',
            gracePeriodSeconds: 0,
            preconditions: { uid: pod.metadata.uid },
          },
        },
      );
      if (a.status === 200 || a.status === 202 || a.status === 404)
        this.removedStalePods.push(`${pod.metadata.name} (node ${node})`);
      else
        this.progress(
          `could not remove ${pod.metadata.name} of the vanished node ${node}: ${answerMessage(a)}`,
        );
    }
  }

  /** Whatever state the run is in: no shim serving, no lock held, no sockets open. */
  async cleanup(): Promise<void> {
    await this.stopShim().catch(() => undefined);
    await this.releaseLock().catch(() => undefined);
    this.client?.close();
  }
}

/** The node name of a kubelet kubeconfig's client certificate (system:node:<name>). */
async function nodeNameOf(kubeconfig: string): Promise<string> {
  const access = await loadClusterAccess(kubeconfig);
  const cn = /CN=system:node:([^\n,]+)/.exec(new X509Certificate(access.tls.cert as Buffer).subject)?.[1];
  if (!cn)
    throw new AssetDirError(`${kubeconfig}: its certificate is not a node's (CN=system:node:<name>)`, {
      hint: 'give --node-name',
    });
  return cn.trim();
}
