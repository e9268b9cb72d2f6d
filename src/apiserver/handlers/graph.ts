/**
 * The Node authorizer's graph, answered from storage on demand instead of kept in memory: which
 * pods are bound to a node, and what those pods reference (secrets, config maps, the service
 * account, claims and their volumes). Reads only the namespace of the object asked about.
 */
import { referencedNames, type NodeGraph, type VertexType } from '../auth/index.js';
import type { ServerContext } from './context.js';
import { lookup, type Obj } from './objects.js';

export function storageNodeGraph(ctx: ServerContext): NodeGraph {
  const podsOn = async (node: string, namespace: string): Promise<Obj[]> => {
    if (!namespace) return [];
    const res = await ctx.storage.list(`/registry/pods/${namespace}`, {
      filter: (o) => (o as Obj).spec?.nodeName === node,
    });
    return res.items.map((i) => i.object as Obj);
  };
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
          return (await podsOn(node, namespace)).some((p) =>
            referencedNames(p.spec ?? {}, kind).includes(name),
          );
        }
        case 'serviceaccount':
          return (await podsOn(node, namespace)).some(
            (p) => (p.spec?.serviceAccountName || 'default') === name,
          );
        case 'pvc':
          return (await podsOn(node, namespace)).some((p) => claimNames(p).includes(name));
        case 'pv': {
          // node ← pod ← pvc ← pv: any namespace; the claim names its volume.
          const pvcs = await ctx.storage.list('/registry/persistentvolumeclaims', {
            filter: (o) => (o as Obj).spec?.volumeName === name,
          });
          for (const item of pvcs.items) {
            const pvc = item.object as Obj;
            const ns = pvc.metadata?.namespace ?? '';
            if ((await podsOn(node, ns)).some((p) => claimNames(p).includes(pvc.metadata?.name))) return true;
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
