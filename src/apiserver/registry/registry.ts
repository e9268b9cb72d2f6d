/** The resource table: built-ins plus the custom resources of the CRDs last synced, and their keys. */
import { builtinResources } from './builtin.js';
import { customResources } from './crd.js';
import { RegistryUsageError } from './errors.js';
import type { Registry, ResourceInfo } from './types.js';

/** kube-apiserver's --etcd-prefix default (k/k:pkg/kubeapiserver/options/options.go). */
const ETCD_PREFIX = '/registry';

function apiVersionOf(info: ResourceInfo): string {
  return info.group ? `${info.group}/${info.version}` : info.version;
}

/** A registry with every built-in resource and no custom resources yet. */
export function createRegistry(): Registry {
  const builtins = builtinResources();
  const builtinGroupResources = new Set(builtins.map((r) => `${r.group}/${r.plural}`));
  let custom: ResourceInfo[] = [];
  let byPath = new Map<string, ResourceInfo>();
  let byGvk = new Map<string, ResourceInfo>();

  const reindex = () => {
    byPath = new Map();
    byGvk = new Map();
    for (const info of [...builtins, ...custom]) {
      byPath.set(`${info.group}/${info.version}/${info.plural}`, info);
      byGvk.set(`${apiVersionOf(info)}/${info.kind}`, info);
    }
  };
  reindex();

  return {
    resources: () => [...builtins, ...custom],

    lookup(group, version, plural) {
      const [resource, sub, extra] = plural.split('/');
      if (extra !== undefined) return undefined;
      const info = byPath.get(`${group}/${version}/${resource}`);
      if (!info || (sub !== undefined && !info.subresources.includes(sub as never))) return undefined;
      return info;
    },

    byKind: (apiVersion, kind) => byGvk.get(`${apiVersion}/${kind}`),

    syncCustomResources(crds) {
      const next: ResourceInfo[] = [];
      const taken = new Set(builtinGroupResources);
      // Sorted by name so that, of two CRDs claiming one group/plural, the same one wins every time.
      const sorted = [...crds].sort((a, b) => crdName(a).localeCompare(crdName(b)));
      for (const crd of sorted) {
        const infos = customResources(crd);
        const groupResource = infos[0] && `${infos[0].group}/${infos[0].plural}`;
        // A CRD may not shadow a built-in resource (apiextensions validation refuses most such
        // groups); a second CRD for the same group/plural never gets NamesAccepted either.
        if (!groupResource || taken.has(groupResource)) continue;
        taken.add(groupResource);
        next.push(...infos);
      }
      next.sort(
        (a, b) =>
          a.group.localeCompare(b.group) ||
          a.plural.localeCompare(b.plural) ||
          a.version.localeCompare(b.version),
      );
      custom = next;
      reindex();
    },
  };
}

function crdName(crd: object): string {
  return String((crd as { metadata?: { name?: unknown } }).metadata?.name ?? '');
}

/** The object's etcd key: `/registry/<prefix>/[<namespace>/]<name>` (genericregistry NamespaceKeyFunc). */
export function storageKey(info: ResourceInfo, namespace: string | undefined, name: string): string {
  if (!name) throw new RegistryUsageError(`no name given for a key of ${info.plural}`);
  return `${storagePrefixKey(info, info.namespaced ? requireNamespace(info, namespace) : undefined)}/${name}`;
}

/** The key prefix a list or watch reads: all namespaces, or one (no trailing '/': storage adds it). */
export function storagePrefixKey(info: ResourceInfo, namespace?: string): string {
  if (info.virtual || !info.storagePrefix) {
    throw new RegistryUsageError(`${info.plural}.${info.group || 'core'} is not stored: it has no etcd key`);
  }
  const base = `${ETCD_PREFIX}/${info.storagePrefix}`;
  if (namespace === undefined || namespace === '') return base;
  if (!info.namespaced)
    throw new RegistryUsageError(`${info.plural} is cluster-scoped: its keys have no namespace`);
  return `${base}/${namespace}`;
}

function requireNamespace(info: ResourceInfo, namespace: string | undefined): string {
  if (!namespace) throw new RegistryUsageError(`${info.plural} is namespaced: its key needs a namespace`);
  return namespace;
}
