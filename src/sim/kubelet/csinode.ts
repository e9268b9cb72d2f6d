/**
 * CSINode initialisation (pkg/volume/csi/csi_plugin.go, nodeinfomanager; reference §1.12). Until
 * it succeeds the node reports "CSINode is not yet initialized" and stays NotReady. First it polls
 * `GET csinodes/<node>?resourceVersion=0` every second until the API answers 200 or 404; then it
 * tries GET, and on NotFound GET the Node (for the owner reference) and POST the CSINode with the
 * migrated-plugins annotation, or PUT the annotation onto an existing one, with back-off 15 ms ×6
 * for 6 steps (Jitter 0.1): six tries, five sleeps, about 23 s (the "140 s" of the kubelet's own
 * comment counts a sixth sleep that wait.ExponentialBackoff never takes). After the last try the
 * real kubelet calls klog.Fatalf and exits; so does this one (exit 255).
 */
import type { ApiClient } from './api-client.js';
import { jitter, type Clock } from './clock.js';

export type Obj = Record<string, any>;

export const NOT_INITIALIZED = 'CSINode is not yet initialized';
const ANNOTATION = 'storage.alpha.kubernetes.io/migrated-plugins';
/** The in-tree plugins whose CSI migration is on in 1.32, as setMigrationAnnotation writes them. */
export const MIGRATED_PLUGINS = [
  'kubernetes.io/aws-ebs',
  'kubernetes.io/azure-disk',
  'kubernetes.io/azure-file',
  'kubernetes.io/cinder',
  'kubernetes.io/gce-pd',
  'kubernetes.io/vsphere-volume',
].join(',');

export interface CsiNodeOptions {
  client: ApiClient;
  clock: Clock;
  nodeName: string;
  signal: AbortSignal;
  random?: () => number;
  onError?: (line: string) => void;
}

async function tryInitialize(o: CsiNodeOptions): Promise<string | undefined> {
  const path = `/apis/storage.k8s.io/v1/csinodes/${o.nodeName}`;
  const r = await o.client.request('kube', 'GET', path);
  if (r.status === 404) {
    const node = await o.client.request('kube', 'GET', `/api/v1/nodes/${o.nodeName}`);
    if (node.status !== 200) return `failed to get node ${o.nodeName}: ${node.status || node.error?.message}`;
    const body = {
      kind: 'CSINode',
      apiVersion: 'storage.k8s.io/v1',
      metadata: {
        name: o.nodeName,
        annotations: { [ANNOTATION]: MIGRATED_PLUGINS },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: o.nodeName, uid: node.body.metadata.uid }],
      },
      spec: { drivers: [] },
    };
    const c = await o.client.request('kube', 'POST', '/apis/storage.k8s.io/v1/csinodes', { body });
    return c.status === 201 || c.status === 200
      ? undefined
      : `create CSINode: ${c.status || c.error?.message}`;
  }
  if (r.status !== 200) return `get CSINode: ${r.status || r.error?.message}`;
  const existing = r.body as Obj;
  if (existing.metadata?.annotations?.[ANNOTATION] === MIGRATED_PLUGINS) return undefined;
  existing.metadata.annotations = {
    ...(existing.metadata.annotations ?? {}),
    [ANNOTATION]: MIGRATED_PLUGINS,
  };
  const u = await o.client.request('kube', 'PUT', path, {
    body: { kind: 'CSINode', apiVersion: 'storage.k8s.io/v1', ...existing },
  });
  return u.status === 200 ? undefined : `update CSINode: ${u.status || u.error?.message}`;
}

/** Resolves true once the CSINode is in place, false if the back-off ran out (the kubelet's fatal exit). */
export async function initializeCsiNode(o: CsiNodeOptions): Promise<boolean> {
  const { clock, signal } = o;
  // waitForAPIServerForever: 200 or NotFound both mean the API answers.
  for (;;) {
    if (signal.aborted) return false;
    const r = await o.client.request('kube', 'GET', `/apis/storage.k8s.io/v1/csinodes/${o.nodeName}`, {
      query: { resourceVersion: '0' },
    });
    if (r.status === 200 || r.status === 404) break;
    await clock.sleep(1000, signal).catch(() => undefined);
  }
  let duration = 15;
  for (let step = 0; step < 6; step++) {
    if (signal.aborted) return false;
    const err = await tryInitialize(o);
    if (!err) return true;
    o.onError?.(`failed to initialize CSINode: ${err}`);
    if (step < 5) await clock.sleep(jitter(duration, 0.1, o.random), signal).catch(() => undefined);
    duration *= 6;
  }
  return false;
}
