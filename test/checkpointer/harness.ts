/**
 * A node for checkpointer tests: a temp root dir with the real store, and fake sources whose
 * answers a test sets as data (pods by short name, running pods, a source that errors, times out
 * or answers stale), the hand-off lock's holder and /readyz. Time is a number the test moves.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Checkpointer } from '../../src/checkpointer/checkpointer.js';
import { CheckpointStore, storeLayout } from '../../src/checkpointer/store.js';
import { sanitizeCheckpointPod } from '../../src/checkpointer/sanitize.js';
import type {
  HandoffLockView,
  Logger,
  ObjectFetcher,
  PodListResult,
  RuntimePod,
  RuntimeResult,
} from '../../src/checkpointer/types.js';
import { ANNOTATIONS, API_SERVER_LOCK, LOCKEXEC } from '../../src/render/constants.js';

export const NS = 'kube-system';
export const NODE = 'mynode';
export const GRACE_MS = 1000;
export const T0 = Date.parse('2030-01-01T00:00:00Z');

/** How a test describes a pod: its short name is its name in kube-system. */
export interface PodDesc {
  /** Controller owner, e.g. `ds-apiserver` (kind DaemonSet, uid `uid-ds-apiserver`). */
  owner?: string;
  ready?: boolean;
  /** An apiserver wrapped in lockexec on the hand-off lock. */
  lock?: boolean;
  image?: string;
  labels?: Record<string, string>;
  /** Mounts Secret `<name>-secret` (key `tls.key`). */
  secret?: boolean;
  /** Different uid than the default `uid-<name>` (a pod recreated under the same name). */
  uid?: string;
  /** Anything else about the pod. */
  mutate?: (pod: V1Pod) => void;
}

/** A source's answer in a scenario: the pods it lists, or how it fails. */
export type SourceAnswer = string[] | 'error' | 'timeout' | 'stale';

export interface World {
  pods: Record<string, PodDesc>;
  api: SourceAnswer;
  kubelet: SourceAnswer;
  /** Names whose containers run (an apiserver blocked in lockexec runs). */
  runtime: SourceAnswer;
  /** Running pods no source knows, with the labels and annotations on their sandbox. */
  strangers?: Array<{ name: string; labels: Record<string, string> }>;
  lockHolder?: string;
  readyz?: boolean;
}

export function makePod(name: string, desc: PodDesc = {}): V1Pod {
  const argv = desc.lock
    ? [LOCKEXEC.podPath, API_SERVER_LOCK, 'kube-apiserver', '--secure-port=6443']
    : [name];
  const pod: V1Pod = {
    metadata: {
      name,
      namespace: NS,
      uid: desc.uid ?? `uid-${name}`,
      labels: desc.labels ?? { 'k8s-app': name.replace(/-.*$/, '') },
      annotations: { [ANNOTATIONS.checkpoint]: 'true' },
      ...(desc.owner
        ? {
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'DaemonSet',
                name: desc.owner,
                uid: `uid-${desc.owner}`,
                controller: true,
              },
            ],
          }
        : {}),
    },
    spec: {
      nodeName: NODE,
      hostNetwork: true,
      containers: [
        { name: 'main', image: desc.image ?? `example/${name}:1`, command: argv, imagePullPolicy: 'Always' },
      ],
      ...(desc.secret ? { volumes: [{ name: 'secrets', secret: { secretName: `${name}-secret` } }] } : {}),
    },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: desc.ready ? 'True' : 'False' }] },
  };
  desc.mutate?.(pod);
  return pod;
}

export class FakeNode {
  world: World;
  now = T0;
  logs: string[] = [];
  readonly log: Logger = {
    info: (m) => this.logs.push(`info ${m}`),
    warn: (m) => this.logs.push(`warn ${m}`),
  };
  store!: CheckpointStore;
  checkpointer!: Checkpointer;
  secrets = new Map<string, Record<string, Buffer>>();

  private constructor(
    readonly root: string,
    world: World,
  ) {
    this.world = world;
  }

  /** A node whose checkpointer runs as POD_NAME `podName` (default `pod-checkpointer`). */
  static async create(
    world: World,
    podName = 'pod-checkpointer',
    fetcher: Partial<ObjectFetcher> = {},
  ): Promise<FakeNode> {
    const node = new FakeNode(await mkdtemp(join(tmpdir(), 'checkpointer-')), world);
    node.store = new CheckpointStore(storeLayout(node.root), { log: node.log });
    await node.store.init();
    const objects: ObjectFetcher = {
      secret: async (_ns, name) =>
        node.secrets.get(name) ??
        (name.endsWith('-secret') ? { 'tls.key': Buffer.from(`key of ${name}`) } : undefined),
      configMap: async () => undefined,
      token: async () => ({ token: 'a.b.c', expiresAt: node.now + 3600_000 }),
      ...fetcher,
    };
    node.checkpointer = new Checkpointer({
      identity: { nodeName: NODE, podName, podNamespace: NS },
      api: { name: 'api', list: async () => node.podAnswer(node.world.api) },
      kubelet: { name: 'kubelet', list: async () => node.podAnswer(node.world.kubelet) },
      runtime: { name: 'cri', list: async () => node.runtimeAnswer() },
      objects,
      store: node.store,
      lock: {
        inspect: async (): Promise<HandoffLockView> => ({
          holders: 1,
          waiters: 0,
          holderPodUids: node.holderUids(),
        }),
      },
      readyz: async () => node.world.readyz ?? true,
      log: node.log,
      clock: () => node.now,
      gracePeriodMs: GRACE_MS,
    });
    return node;
  }

  pod(name: string): V1Pod {
    return makePod(name, this.world.pods[name]);
  }

  /** Writes checkpoints of these pods (as `descs` describe them, else as the world does) to disk, as a previous run would have. */
  async seed(inactive: string[], active: string[], descs: Record<string, PodDesc> = {}): Promise<void> {
    for (const name of new Set([...inactive, ...active])) {
      const pod = descs[name] ? makePod(name, descs[name]) : this.pod(name);
      const cp = sanitizeCheckpointPod(pod, {
        secrets: new Map([[`${name}-secret`, { 'tls.key': Buffer.from('old') }]]),
        configMaps: new Map(),
        tokens: new Map(),
      });
      await this.store.writeInactive(cp.manifest);
      if (active.includes(name)) await this.store.start(`${NS}/${name}`);
      if (!inactive.includes(name)) await rm(join(this.store.layout.inactive, `${NS}-${name}.json`));
    }
  }

  runOnce() {
    return this.checkpointer.runOnce(this.now);
  }

  async cleanup(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }

  private podAnswer(answer: SourceAnswer): PodListResult {
    if (answer === 'error') return { state: 'unknown', reason: 'connection refused' };
    if (answer === 'timeout') return { state: 'unknown', reason: 'no answer within 5000 ms' };
    if (answer === 'stale') return { state: 'ok', pods: [], observedAt: this.now - 3600_000 };
    return { state: 'ok', pods: answer.map((n) => this.pod(n)), observedAt: this.now };
  }

  private runtimeAnswer(): RuntimeResult {
    const answer = this.world.runtime;
    if (answer === 'error' || answer === 'timeout' || answer === 'stale') {
      // A stale answer claims that nothing runs, as a runtime that lost its state would.
      return answer === 'stale'
        ? { state: 'ok', pods: [], observedAt: this.now - 3600_000 }
        : { state: 'unknown', reason: answer };
    }
    const pods: RuntimePod[] = answer.map((name) => {
      const pod = this.pod(name);
      return {
        uid: pod.metadata!.uid!,
        namespace: NS,
        name,
        ready: true,
        labels: pod.metadata!.labels!,
        annotations: pod.metadata!.annotations!,
        containers: [{ id: `c-${name}`, name: 'main', state: 'running' }],
      };
    });
    for (const s of this.world.strangers ?? []) {
      pods.push({
        uid: `uid-${s.name}`,
        namespace: NS,
        name: s.name,
        ready: true,
        labels: s.labels,
        annotations: { [ANNOTATIONS.checkpoint]: 'true' },
        containers: [{ id: `c-${s.name}`, name: 'main', state: 'running' }],
      });
    }
    return { state: 'ok', pods, observedAt: this.now };
  }

  private holderUids(): string[] {
    return this.world.lockHolder ? [this.pod(this.world.lockHolder).metadata!.uid!] : [];
  }
}
