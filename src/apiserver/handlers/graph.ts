/**
 * The Node authorizer's graph: which pods are bound to a node, and what those pods reference
 * (secrets, config maps, the service account, claims and their volumes). The real authorizer keeps
 * this graph in memory, fed by informers; here the pods watch cache with its spec.nodeName index is
 * that memory, so a kubelet's request touches only its own pods. A relationship the cache does not
 * show yet (a pod bound a moment ago, or a cache still starting) is looked up in storage before the
 * request is refused, so the cache never turns a right answer into a 403.
 */
import { referencedNames, type NodeGraph, type VertexType } from '../auth/index.js';
import type { ServerContext } from './context.js';
import { lookup, type Obj } from './objects.js';

const PODS = '/registry/pods';
/** How long a decision waits for the pods cache to hold this server's last pod write. */
const FRESH_WAIT_MS = 1000;

export function storageNodeGraph(ctx: ServerContext): NodeGraph {
  const fromStorage = async (node: string, namespace: string): Promise<Obj[]> => {
    if (!namespace) return [];
    const res = await ctx.storage.list(`${PODS}/${namespace}`, {
      filter: (o) => (o as Obj).spec?.nodeName === node,
    });
    return res.items.map((i) => i.object as Obj);
  };
  // The cache once it holds every pod write of this server (a pod deleted here is gone there too).
  const fromCache = async (node: string, namespace: string): Promise<Obj[]> => {
    const cache = ctx.caches(ctx.storage).get(PODS);
    if (!namespace || !(await cache.fresh(FRESH_WAIT_MS))) return [];
    return cache.list(`${PODS}/${namespace}/`, { name: 'spec.nodeName', value: node }) as Obj[];
  };
  // Some pod of node in namespace satisfies test: the cache first, then storage.
  const anyPod = async (node: string, namespace: string, test: (p: Obj) => boolean): Promise<boolean> =>
    (await fromCache(node, namespace)).some(test) || (await fromStorage(node, namespace)).some(test);
  return {
    async hasPathFrom(node: string, type: VertexType, namespace: string, name: string): Promise<boolean> {
      switch (type) {
        case 'pod': {
          const pod = await lookup(ctx, ctx.registry, '', 'pods', namespace, name);
          return pod?.spec?.nodeName === node;
        }
        case 'secret':
        case 'configmap': {
          const kind = type === 'secret' ? 'secret' : 'configMap';
          return anyPod(node, namespace, (p) => referencedNames(p.spec ?? {}, kind).includes(name));
        }
        case 'serviceaccount':
          return anyPod(node, namespace, (p) => (p.spec?.serviceAccountName || 'default') === name);
        case 'pvc':
          return anyPod(node, namespace, (p) => claimNames(p).includes(name));
        case 'pv': {
          // node ← pod ← pvc ← pv: any namespace; the claim names its volume.
          const pvcs = await ctx.storage.list('/registry/persistentvolumeclaims', {
            filter: (o) => (o as Obj).spec?.volumeName === name,
          });
          for (const item of pvcs.items) {
            const pvc = item.object as Obj;
            const ns = pvc.metadata?.namespace ?? '';
            if (await anyPod(node, ns, (p) => claimNames(p).includes(pvc.metadata?.name))) return true;
          }
          return false;
        }
        case 'volumeattachment': {
          const va = await lookup(ctx, ctx.registry, 'storage.k8s.io', 'volumeattachments', '', name);
          return va?.spec?.nodeName === node;
        }
      }
    },
  };
}

function claimNames(pod: Obj): string[] {
  const names: string[] = [];
  for (const v of pod.spec?.volumes ?? []) {
    if (v.persistentVolumeClaim?.claimName) names.push(v.persistentVolumeClaim.claimName);
    if (v.ephemeral) names.push(`${pod.metadata?.name}-${v.name}`);
  }
  return names;
}
