/**
 * Pod and owner helpers the controllers share (k/k pkg/api/v1/pod util, pkg/controller
 * controller_utils.go, apimachinery intstr): readiness and availability, controller references,
 * pods made from a template, and counts given as an integer or a percentage.
 */
import type { KObj } from '../client/client.js';

export function podCondition(pod: KObj, type: string): KObj | undefined {
  return (pod.status?.conditions ?? []).find((c: KObj) => c.type === type);
}

/** Ready condition True. */
export function isPodReady(pod: KObj): boolean {
  return podCondition(pod, 'Ready')?.status === 'True';
}

/** Ready for at least minReadySeconds at `nowMs` (podutil.IsPodAvailable). */
export function isPodAvailable(pod: KObj, minReadySeconds: number, nowMs: number): boolean {
  const ready = podCondition(pod, 'Ready');
  if (ready?.status !== 'True') return false;
  if (!minReadySeconds) return true;
  const since = Date.parse(ready.lastTransitionTime ?? '');
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= nowMs;
}

/** Not terminal and not being deleted (controller.IsPodActive). */
export function isPodActive(pod: KObj): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata?.deletionTimestamp;
}

/** The owner reference with controller: true, if any (metav1.GetControllerOf). */
export function controllerOf(obj: KObj): KObj | undefined {
  return (obj.metadata?.ownerReferences ?? []).find((r: KObj) => r.controller === true);
}

/**
 * The `kind` object that controls `obj`, looked up in `store` by its controller reference, if it
 * still exists with the referenced UID (a recreated owner of the same name is another object).
 */
export function resolveControllerRef(
  obj: KObj,
  kind: string,
  store: { get(key: string): KObj | undefined },
): KObj | undefined {
  const ref = controllerOf(obj);
  if (!ref || ref.kind !== kind) return undefined;
  const owner = store.get(`${obj.metadata.namespace}/${ref.name}`);
  return owner?.metadata.uid === ref.uid ? owner : undefined;
}

/** The reference a controller puts on what it makes (metav1.NewControllerRef). */
export function controllerRef(owner: KObj, apiVersion: string, kind: string): KObj {
  return {
    apiVersion,
    kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** A pod to create from a template (controller.GetPodFromTemplate): labels, annotations, finalizers and spec copied, named after the owner. */
export function podFromTemplate(template: KObj, owner: KObj, ref: KObj): KObj {
  const meta = template.metadata ?? {};
  const pod: KObj = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${owner.metadata.name}-`,
      namespace: owner.metadata.namespace,
      ownerReferences: [ref],
    },
    spec: structuredClone(template.spec ?? {}),
  };
  if (meta.labels) pod.metadata.labels = { ...meta.labels };
  if (meta.annotations) pod.metadata.annotations = { ...meta.annotations };
  if (meta.finalizers) pod.metadata.finalizers = [...meta.finalizers];
  return pod;
}

/** intstr.GetScaledValueFromIntOrPercent: an integer as is, `25%` of total rounded up or down. */
export function scaledValue(
  value: number | string | undefined,
  total: number,
  roundUp: boolean,
  fallback: number | string,
): number {
  const v = value ?? fallback;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) {
    if (/^\d+$/.test(v)) return Number(v);
    throw new Error(
      `invalid value for IntOrString: invalid type: string is not a percentage: ${JSON.stringify(v)}`,
    );
  }
  const scaled = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

// rand.SafeEncodeString's alphabet: no vowels (no words), no look-alikes (0/o, 1/l).
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * The template hash of pod-template-hash and controller-revision-hash labels (controller.ComputeHash):
 * FNV-32a of the template, plus the collision count, safe-encoded. Go hashes its in-memory struct
 * (DeepHashObject) and we hash canonical JSON, so the values differ from kube-controller-manager's
 * but have the same form and the same properties: stable for one template, new for any change.
 */
export function computeHash(template: KObj, collisionCount?: number): string {
  const data = Buffer.from(canonicalJson(template) + (collisionCount ? `/${collisionCount}` : ''));
  let h = 0x811c9dc5;
  for (const byte of data) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return [...String(h)].map((c) => ALPHANUMS[c.charCodeAt(0) % ALPHANUMS.length]).join('');
}

/** JSON with object keys sorted, so equal objects give equal text whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as KObj)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Oldest first, then by name (the order controllers use for "the oldest pod on a node"). */
export function byCreation(a: KObj, b: KObj): number {
  const ta = a.metadata?.creationTimestamp ?? '';
  const tb = b.metadata?.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const na = a.metadata?.name ?? '';
  const nb = b.metadata?.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}
