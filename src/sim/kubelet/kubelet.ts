/**
 * One simulated kubelet: the real kubelet's start order and loops, on one shared event loop.
 * The lock file first (flock, then the contention watch); then its clients and informers (its own
 * Node first, then services, CSIDrivers, RuntimeClasses); the "Starting kubelet." event; the
 * static-pod source, which runs pods with no API at all; the API pod source once the node informer
 * has synced; registration and node status, the lease, CSINode, the status manager and mirror
 * pods; and /pods on its own port. exit() is the process ending: every loop stops, the runtime's
 * containers stay as they are (a reboot is the node's business, src/sim/node.ts).
 */
import { setMaxListeners } from 'node:events';
import { ApiClient, type RequestRecord } from './api-client.js';
import { RestartBackoff } from './backoff.js';
import { jitter, type Clock } from './clock.js';
import type { ContainerRuntime } from './container-runtime.js';
import { initializeCsiNode, NOT_INITIALIZED } from './csinode.js';
import { SimLockFlagError } from './errors.js';
import { EventRecorder, nodeRef, type ObjectRef } from './events.js';
import { ImagePuller } from './images.js';
import { LeaseController } from './lease.js';
import { acquireKubeletLock, type KubeletLock } from './lock-file.js';
import { MirrorPods } from './mirror-pods.js';
import { NodeSync } from './node-sync.js';
import { readyStatus, type NodeFacts } from './node-status.js';
import { PodManager } from './pod-manager.js';
import { startPodsServer, type PodsServer } from './pods-server.js';
import { ObjectStore, Reflector, type Obj } from './reflector.js';
import { isMirrorPod, StaticPodSource } from './static-pods.js';
import { StatusManager } from './status-manager.js';
import { VolumeManager } from './volumes.js';

export type KubeletEvent =
  | { type: 'started'; node: string; podsPort: number }
  | { type: 'registered'; node: string }
  | { type: 'ready' | 'notReady'; node: string }
  | { type: 'event'; node: string; eventType: string; reason: string; message: string; object: ObjectRef }
  | { type: 'exited'; node: string; code: number; reason: string }
  | { type: 'log'; node: string; line: string };

export interface KubeletOptions {
  nodeName: string;
  credentials: { server: string; ca: string; cert: string; key: string };
  runtime: ContainerRuntime;
  clock: Clock;
  nodeIP: string;
  /** The static-pod dir (staticPodPath); none means no file source. */
  staticPodPath?: string;
  lockFile?: string;
  exitOnLockContention?: boolean;
  registerWithTaints?: Obj[];
  /** Labels a kubelet may set on itself (--node-labels). */
  nodeLabels?: Record<string, string>;
  /** The /pods port; 0 (default) picks a free one. */
  podsPort?: number;
  pullDelayMs?: number;
  sandboxDelayMs?: number;
  onRequest?: (r: RequestRecord) => void;
  onEvent?: (e: KubeletEvent) => void;
  random?: () => number;
}

export class Kubelet {
  readonly exited: Promise<{ code: number; reason: string }>;
  podsPort = 0;
  registered = false;
  private resolveExit!: (r: { code: number; reason: string }) => void;
  private readonly stop = new AbortController();
  private client?: ApiClient;
  private lock?: KubeletLock;
  private server?: PodsServer;
  private events?: EventRecorder;
  private statics?: StaticPodSource;
  private volumes?: VolumeManager;
  private pods?: PodManager;
  private status?: StatusManager;
  private mirror?: MirrorPods;
  private readonly nodeStore = new ObjectStore();
  private nodeReflector?: Reflector;
  private servicesReflector?: Reflector;
  private csiReady = false;
  private lastReady?: string;
  private mirrorQueued = false;
  private done = false;

  constructor(readonly o: KubeletOptions) {
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
    // Every loop and sleep of the kubelet listens on this one signal.
    setMaxListeners(0, this.stop.signal);
  }

  get signal(): AbortSignal {
    return this.stop.signal;
  }

  private emit(e: KubeletEvent): void {
    this.o.onEvent?.(e);
  }

  /** Starts the kubelet; resolves once it runs (after the lock, which may block). */
  async start(): Promise<void> {
    const o = this.o;
    const { clock, nodeName } = o;
    const signal = this.stop.signal;
    if (o.exitOnLockContention && !o.lockFile)
      throw new SimLockFlagError('cannot exit on lock file contention: no lock file specified', {
        hint: 'pass --lock-file too',
      });
    if (o.lockFile) {
      this.lock = await acquireKubeletLock(o.lockFile, signal);
      if (o.exitOnLockContention)
        await this.lock.watchContention((how) => void this.exit(0, `lock contention (${how})`));
    }
    const client = (this.client = new ApiClient({ nodeName, ...o.credentials, onRequest: o.onRequest }));
    const log = (line: string) => this.emit({ type: 'log', node: nodeName, line });
    this.events = new EventRecorder(client, clock, nodeName, (e) =>
      this.emit({
        type: 'event',
        node: nodeName,
        eventType: e.type,
        reason: e.reason,
        message: e.message,
        object: e.object,
      }),
    );
    const status = new StatusManager({
      client,
      clock,
      signal,
      apiStatus: (uid) => this.pods?.apiStatus(uid),
      hasMirror: (sp) =>
        isMirrorPod(this.pods?.apiPods.get(`${sp.metadata.namespace}/${sp.metadata.name}`) ?? {}),
    });
    this.status = status;
    this.volumes = new VolumeManager(
      client,
      clock,
      signal,
      (path) => o.runtime.node.hostPath(path),
      o.credentials.ca,
    );
    const images = new ImagePuller({
      clock,
      runtime: o.runtime,
      pullDelayMs: o.pullDelayMs ?? 1000,
      event: (ref, t, r, m) => this.events!.event(ref, t, r, m),
    });
    this.pods = new PodManager({
      clock,
      status,
      volumes: this.volumes,
      workerDeps: {
        clock,
        runtime: o.runtime,
        backoff: new RestartBackoff(clock),
        images,
        events: this.events,
        hostIP: o.nodeIP,
        sandboxDelayMs: o.sandboxDelayMs ?? 300,
        servicesSynced: () => !!this.servicesReflector?.hasSynced,
      },
      onPodsChanged: () => this.queueMirrorSync(),
    });
    this.mirror = new MirrorPods({
      client,
      nodeName,
      nodeUid: () => this.node()?.metadata?.uid,
      apiPods: () => this.pods!.apiPods.list(),
      onError: log,
    });
    this.server = await startPodsServer({
      port: o.podsPort ?? 0,
      clientCa: o.credentials.ca,
      pods: () => this.pods!.podsForServer(),
    });
    this.podsPort = this.server.port;
    this.events.event(nodeRef(nodeName), 'Normal', 'Starting', 'Starting kubelet.');
    this.events.event(
      nodeRef(nodeName),
      'Normal',
      'NodeAllocatableEnforced',
      'Updated Node Allocatable limit across pods',
    );
    this.startInformers(client, log);
    if (o.staticPodPath) {
      this.statics = new StaticPodSource(
        o.staticPodPath,
        nodeName,
        clock,
        (pods) => {
          this.pods!.staticPods = pods;
          this.pods!.reconcile();
        },
        log,
      );
      await this.statics.start();
    }
    void this.apiPodSource(client, log);
    const nodeSync = new NodeSync({
      client,
      clock,
      nodeName,
      signal,
      random: o.random,
      facts: () => this.facts(),
      informerNode: () => this.node(),
      onStatusEvent: (reason) => this.nodeStatusEvent(reason),
      onRegistered: () => {
        this.registered = true;
        this.emit({ type: 'registered', node: nodeName });
      },
      onRepeatedFailure: () => client.closeIdle(),
    });
    void nodeSync.run();
    void nodeSync.fastStatusUpdateOnce();
    void new LeaseController({
      client,
      clock,
      nodeName,
      signal,
      random: o.random,
      onRepeatedFailure: () => client.closeIdle(),
    }).run();
    void initializeCsiNode({ client, clock, nodeName, signal, random: o.random, onError: log }).then((ok) => {
      if (ok) this.csiReady = true;
      // klog.Fatalf("Failed to initialize CSINode after retrying"): the process ends with 255.
      else if (!signal.aborted) void this.exit(255, 'Failed to initialize CSINode after retrying');
    });
    void status.run();
    void this.mirrorLoop();
    this.emit({ type: 'started', node: nodeName, podsPort: this.podsPort });
  }

  private startInformers(client: ApiClient, log: (l: string) => void): void {
    const { clock, nodeName } = this.o;
    const signal = this.stop.signal;
    const informer = (
      path: string,
      fieldSelector: string | undefined,
      store?: ObjectStore,
      changed?: () => void,
    ) => {
      const r = new Reflector({
        client,
        clock,
        path,
        fieldSelector,
        signal,
        random: this.o.random,
        onReplace: (items) => {
          store?.replace(items);
          changed?.();
        },
        onEvent: (t, obj) => {
          store?.apply(t, obj);
          changed?.();
        },
        onError: log,
      });
      void r.run();
      return r;
    };
    this.nodeReflector = informer('/api/v1/nodes', `metadata.name=${nodeName}`, this.nodeStore, () =>
      this.nodeChanged(),
    );
    this.servicesReflector = informer('/api/v1/services', 'spec.clusterIP!=None');
    informer('/apis/storage.k8s.io/v1/csidrivers', undefined);
    informer('/apis/node.k8s.io/v1/runtimeclasses', undefined);
  }

  /** The API pod source starts once the node informer has synced, checking every second. */
  private async apiPodSource(client: ApiClient, log: (l: string) => void): Promise<void> {
    const signal = this.stop.signal;
    while (!this.nodeReflector?.hasSynced) {
      await this.o.clock.sleep(1000, signal).catch(() => undefined);
      if (signal.aborted) return;
    }
    const store = this.pods!.apiPods;
    await new Reflector({
      client,
      clock: this.o.clock,
      path: '/api/v1/pods',
      fieldSelector: `spec.nodeName=${this.o.nodeName}`,
      signal,
      random: this.o.random,
      onReplace: (items) => {
        store.replace(items);
        this.pods?.reconcile();
      },
      onEvent: (t, obj) => {
        store.apply(t, obj);
        this.pods?.reconcile();
        // A static pod's status waits for its mirror pod: send it once the mirror shows up.
        if (t === 'ADDED' && isMirrorPod(obj)) {
          const sp = this.pods?.staticPods.find(
            (p) => p.metadata.namespace === obj.metadata.namespace && p.metadata.name === obj.metadata.name,
          );
          if (sp) this.status?.schedule(sp.metadata.uid);
        }
      },
      onError: log,
    }).run();
  }

  private node(): Obj | undefined {
    return this.nodeStore.get(this.o.nodeName);
  }

  private nodeChanged(): void {
    const ready = readyStatus(this.node());
    if (ready !== this.lastReady) {
      this.lastReady = ready;
      this.emit({ type: ready === 'True' ? 'ready' : 'notReady', node: this.o.nodeName });
    }
    this.queueMirrorSync();
  }

  /** Whether the API's copy of the node says Ready. */
  get ready(): boolean {
    return this.lastReady === 'True';
  }

  private facts(): NodeFacts {
    const o = this.o;
    return {
      nodeName: o.nodeName,
      nodeIP: o.nodeIP,
      kubeletPort: this.podsPort,
      machineID: o.runtime.machineID,
      systemUUID: o.runtime.systemUUID,
      bootID: o.runtime.bootId,
      images: [...o.runtime.images.values()],
      notReadyReasons: this.csiReady ? [] : [NOT_INITIALIZED],
      taints: o.registerWithTaints ?? [],
      labels: o.nodeLabels ?? {},
    };
  }

  private nodeStatusEvent(reason: string): void {
    const name = this.o.nodeName;
    if (reason === 'Rebooted')
      this.events?.event(
        nodeRef(name),
        'Warning',
        'Rebooted',
        `Node ${name} has been rebooted, boot id: ${this.o.runtime.bootId}`,
      );
    else this.events?.event(nodeRef(name), 'Normal', reason, `Node ${name} status is now: ${reason}`);
  }

  private queueMirrorSync(): void {
    if (this.mirrorQueued || this.stop.signal.aborted) return;
    this.mirrorQueued = true;
    setImmediate(() => {
      this.mirrorQueued = false;
      if (!this.stop.signal.aborted) void this.mirror?.sync(() => this.pods?.staticPods ?? []);
    });
  }

  // The static pods' periodic resync (syncFrequency, 1 min) retries mirror pods that failed.
  private async mirrorLoop(): Promise<void> {
    while (!this.stop.signal.aborted) {
      await this.o.clock.sleep(jitter(60_000, 0.5, this.o.random), this.stop.signal).catch(() => undefined);
      this.queueMirrorSync();
    }
  }

  /** What /pods serves right now. */
  podsForServer(): Obj[] {
    return this.pods?.podsForServer() ?? [];
  }

  counts(): { pods: number; running: number; ready: number } {
    return this.pods?.counts() ?? { pods: 0, running: 0, ready: 0 };
  }

  /** The process ends: every loop stops, containers stay in the runtime; idempotent. */
  async exit(code = 0, reason = 'stopped'): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.stop.abort(new Error(reason));
    this.pods?.detachAll();
    this.events?.stop();
    this.volumes?.stopAll();
    this.statics?.stop();
    this.client?.closeIdle(true);
    await this.server?.close();
    await this.lock?.release();
    this.emit({ type: 'exited', node: this.o.nodeName, code, reason });
    this.resolveExit({ code, reason });
  }
}
