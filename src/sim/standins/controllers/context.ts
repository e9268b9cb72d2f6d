/**
 * What the controllers share: the client, the informers of the objects they read, event
 * recorders, and the request patterns of k/k pkg/controller (slow-start batches of creations,
 * status writes through the status subresource with one retry on a conflict).
 */
import { labelSelectorFromObject, matchesLabels } from '../../../apiserver/selectors/index.js';
import type { KObj, KubeClient } from '../client/client.js';
import type { Informer } from '../client/informer.js';
import { isApiStatus } from '../errors.js';
import type { EventRecorder } from './events.js';

export interface Informers {
  pods: Informer;
  nodes: Informer;
  daemonSets: Informer;
  replicaSets: Informer;
  deployments: Informer;
  controllerRevisions: Informer;
}

export interface ControllerContext {
  client: KubeClient;
  informers: Informers;
  recorder(component: string): EventRecorder;
  log(line: string): void;
  /** Milliseconds since the epoch (availability with minReadySeconds). */
  now(): number;
  signal: AbortSignal;
}

export interface Controller {
  readonly name: string;
  /** Works the controller's queue until `signal` aborts; the informers must have synced. */
  run(signal: AbortSignal): Promise<void>;
}

/** A namespaced object's API path: `/apis/apps/v1/namespaces/ns/replicasets/name`. */
export function objectPath(groupVersion: string, plural: string, namespace: string, name?: string): string {
  const base = groupVersion === 'v1' ? '/api/v1' : `/apis/${groupVersion}`;
  return `${base}/namespaces/${namespace}/${plural}${name ? `/${name}` : ''}`;
}

export const podPath = (pod: KObj): string =>
  objectPath('v1', 'pods', pod.metadata.namespace, pod.metadata.name);

/** The informer's objects in one namespace. */
export function inNamespace(informer: Informer, namespace: string): KObj[] {
  return informer.list().filter((o) => o.metadata?.namespace === namespace);
}

/**
 * Runs `count` calls in batches of 1, 2, 4, … (controller.slowStartBatch): a batch with a failure
 * stops the rest, so a quota or admission error costs one request, not hundreds.
 */
export async function slowStartBatch(
  count: number,
  fn: (i: number) => Promise<void>,
): Promise<{ successes: number; errors: Error[] }> {
  let successes = 0;
  const errors: Error[] = [];
  for (
    let pos = 0, batch = Math.min(count, 1);
    pos < count;
    pos += batch, batch = Math.min(2 * batch, count - pos)
  ) {
    const results = await Promise.allSettled(Array.from({ length: batch }, (_, j) => fn(pos + j)));
    for (const r of results) {
      if (r.status === 'fulfilled') successes++;
      else errors.push(r.reason as Error);
    }
    if (errors.length) break;
  }
  return { successes, errors };
}

/**
 * Writes `status` through the status subresource of `obj` (at `path`); on a conflict reads the
 * object afresh and writes once more, as the controllers' updateStatus helpers do.
 */
export async function writeStatus(
  client: KubeClient,
  path: string,
  obj: KObj,
  status: KObj,
  signal?: AbortSignal,
): Promise<KObj> {
  try {
    return await client.update(`${path}/status`, { ...obj, status }, signal);
  } catch (err) {
    if (!isApiStatus(err, 409)) throw err;
    const fresh = await client.get(path, signal);
    return client.update(`${path}/status`, { ...fresh, status }, signal);
  }
}

/** Drops the zero counts Go omits (`omitempty`) so written statuses look like kube-controller-manager's. */
export function omitZero(status: KObj, keys: readonly string[]): KObj {
  const out = { ...status };
  for (const k of keys) if (!out[k]) delete out[k];
  return out;
}

/**
 * The controllers in `informer` whose non-empty selector matches an orphan object's labels: the
 * candidates to adopt it (GetPodDaemonSets / GetPodReplicaSets in kube-controller-manager).
 */
export function selectingControllers(informer: Informer, obj: KObj): KObj[] {
  return inNamespace(informer, obj.metadata.namespace).filter((owner) => {
    const sel = labelSelectorFromObject(owner.spec?.selector);
    return Boolean(sel && sel.requirements.length && matchesLabels(sel, obj.metadata.labels));
  });
}
