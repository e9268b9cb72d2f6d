/**
 * Aggregated discovery (apidiscovery.k8s.io/v2 APIGroupDiscoveryList): what kubectl 1.27+ asks
 * for first, with Accept `application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList`
 * (reference §4.1). The handler must answer with that media type as Content-Type, or the client
 * reads the body as legacy APIVersions/APIGroupList. Shape: k/k:api/discovery/aggregated_v2.json.
 */
import { subresourceShape } from '../registry/builtin.js';
import type { Registry, ResourceInfo } from '../registry/types.js';
import { servedGroups } from './groups.js';

/** The Content-Type an aggregated answer must carry, by discovery version. */
export const AGGREGATED_DISCOVERY_CONTENT_TYPE = {
  v2: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
  v2beta1: 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList',
} as const;

function resourceEntry(info: ResourceInfo): object {
  // responseKind group/version are '' when they are the resource's own (as kube-apiserver writes them)
  const entry: Record<string, unknown> = {
    resource: info.plural,
    responseKind: { group: '', version: '', kind: info.kind },
    scope: info.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: info.singular,
    verbs: [...info.verbs],
  };
  if (info.shortNames.length > 0) entry.shortNames = [...info.shortNames];
  if (info.categories.length > 0) entry.categories = [...info.categories];
  if (info.subresources.length > 0) {
    entry.subresources = [...info.subresources].sort().map((sub) => {
      const shape = subresourceShape(info, sub);
      const foreign = shape.group !== info.group || shape.version !== info.version;
      return {
        subresource: sub,
        responseKind: {
          group: foreign ? shape.group : '',
          version: foreign ? shape.version : '',
          kind: shape.kind,
        },
        verbs: shape.verbs,
      };
    });
  }
  return entry;
}

/** GET /api ('api': the core group alone) or /apis ('apis': every other group), aggregated. */
export function aggregatedDiscovery(
  reg: Registry,
  which: 'api' | 'apis',
  version: 'v2' | 'v2beta1' = 'v2',
): object {
  const groups = servedGroups(reg).filter((g) => (which === 'api' ? g.group === '' : g.group !== ''));
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: groups.map((g) => ({
      metadata: g.group ? { name: g.group } : {},
      versions: g.versions.map((v) => ({
        version: v,
        resources: (g.resources.get(v) ?? []).map(resourceEntry),
        freshness: 'Current',
      })),
    })),
  };
}
