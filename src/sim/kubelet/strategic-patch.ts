/**
 * Two-way strategic merge patches as the kubelet builds them (strategicpatch.CreateTwoWayMergePatch
 * with the Node and Pod Go types as patch metadata), for the two bodies it sends: node status and
 * pod status (reference §1.3, §1.6). Only the parts of the schema those bodies touch are declared:
 * maps merge, lists with a merge key get `$setElementOrder/<field>` plus the changed elements in
 * that order (the server rejects any other), each with its key; other lists are atomic and sent
 * whole; removed fields are
 * `null`. Output is serialised with keys sorted, as Go's encoding/json writes maps, so bodies can
 * be compared byte for byte with a real kubelet's.
 */
export type Obj = Record<string, any>;

export type FieldSchema =
  { kind: 'map'; fields?: Schema } | { kind: 'mergeList'; key: string; elem?: Schema } | { kind: 'atomic' };
export type Schema = Record<string, FieldSchema>;

const CONDITIONS: FieldSchema = { kind: 'mergeList', key: 'type' };

/** core/v1 NodeStatus tags (api@v0.32.0 core/v1/types.go). */
export const NODE_SCHEMA: Schema = {
  metadata: {
    kind: 'map',
    fields: { ownerReferences: { kind: 'mergeList', key: 'uid' }, finalizers: { kind: 'atomic' } },
  },
  spec: { kind: 'map', fields: { taints: { kind: 'mergeList', key: 'key' } } },
  status: {
    kind: 'map',
    fields: { conditions: CONDITIONS, addresses: { kind: 'mergeList', key: 'type' } },
  },
};

/** core/v1 PodStatus tags: conditions by type, podIPs and hostIPs by ip, container statuses atomic. */
export const POD_SCHEMA: Schema = {
  metadata: { kind: 'map' },
  status: {
    kind: 'map',
    fields: {
      conditions: CONDITIONS,
      podIPs: { kind: 'mergeList', key: 'ip' },
      hostIPs: { kind: 'mergeList', key: 'ip' },
      resourceClaimStatuses: { kind: 'mergeList', key: 'name' },
    },
  },
};

function isMap(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON with keys sorted at every level: Go's encoding of map[string]interface{}. */
export function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : stableStringify(x))).join(',')}]`;
  if (isMap(v)) {
    const keys = Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  return stableStringify(a) === stableStringify(b);
}

/** The patch that turns `original` into `modified` (both full objects), or {} when they are equal. */
export function twoWayMergePatch(original: Obj, modified: Obj, schema: Schema): Obj {
  return diffMaps(original, modified, schema);
}

function diffMaps(a: Obj, b: Obj, schema: Schema | undefined): Obj {
  const patch: Obj = {};
  for (const k of Object.keys(b)) {
    const bv = b[k];
    if (bv === undefined) continue;
    const av = a[k];
    const fs = schema?.[k];
    // Go decodes a missing metav1.Time as zero and encodes it as null: absent and null are one value.
    if (bv === null && (av === undefined || av === null)) continue;
    if (av === undefined) {
      patch[k] = bv;
      continue;
    }
    if (deepEqual(av, bv)) continue;
    if (isMap(av) && isMap(bv)) {
      const sub = diffMaps(av, bv, fs?.kind === 'map' ? fs.fields : undefined);
      if (Object.keys(sub).length) patch[k] = sub;
      continue;
    }
    if (Array.isArray(av) && Array.isArray(bv) && fs?.kind === 'mergeList') {
      diffMergeList(patch, k, av, bv, fs);
      continue;
    }
    patch[k] = bv;
  }
  for (const k of Object.keys(a)) {
    if (a[k] !== undefined && a[k] !== null && b[k] === undefined) patch[k] = null;
  }
  return patch;
}

function diffMergeList(
  patch: Obj,
  field: string,
  a: Obj[],
  b: Obj[],
  fs: { key: string; elem?: Schema },
): void {
  const key = fs.key;
  const byKey = new Map(a.map((e) => [String(e?.[key]), e]));
  const newKeys = new Set(b.map((e) => String(e?.[key])));
  const changes: Obj[] = [];
  for (const e of b) {
    const old = byKey.get(String(e?.[key]));
    if (!old) {
      changes.push(e);
      continue;
    }
    const d = diffMaps(old, e, fs.elem);
    if (Object.keys(d).length) changes.push({ ...d, [key]: e[key] });
  }
  for (const e of a) {
    if (!newKeys.has(String(e?.[key]))) changes.push({ $patch: 'delete', [key]: e[key] });
  }
  if (changes.length === 0) return;
  patch[`$setElementOrder/${field}`] = b.map((e) => ({ [key]: e[key] }));
  patch[field] = changes;
}

/**
 * The node status patch of component-helpers PatchNodeStatus: spec reset to the original, a
 * two-way patch, then addresses sent whole with `{"$patch":"replace"}` when they changed, because
 * NodeStatus.Addresses carries a wrong merge key (fixupPatchForNodeStatusAddresses).
 */
export function nodeStatusPatch(oldNode: Obj, newNode: Obj): Obj {
  const modified = { ...newNode, spec: oldNode.spec };
  const patch = twoWayMergePatch(oldNode, modified, NODE_SCHEMA);
  const oldAddr = oldNode.status?.addresses ?? [];
  const newAddr = newNode.status?.addresses ?? [];
  if (!deepEqual(oldAddr, newAddr)) {
    patch.status = { ...(patch.status ?? {}), addresses: [...newAddr, { $patch: 'replace' }] };
  }
  return patch;
}

/**
 * The pod status patch of util/pod PatchPodStatus: old = {status}, new = {metadata:{uid}, status},
 * so the UID precondition is always there; undefined when nothing but the UID would be sent.
 */
export function podStatusPatch(uid: string, oldStatus: Obj, newStatus: Obj): Obj | undefined {
  const patch = twoWayMergePatch({ status: oldStatus }, { metadata: { uid }, status: newStatus }, POD_SCHEMA);
  if (Object.keys(patch).length === 1 && patch.metadata) return undefined;
  return patch;
}
