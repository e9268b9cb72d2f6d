/**
 * Legacy (unaggregated) discovery: GET /api, /apis, /api/v1, /apis/<g>/<v> and /version, in the
 * shapes of apimachinery's metav1 APIVersions, APIGroupList, APIResourceList and version.Info.
 */
import { createHash } from 'node:crypto';
import { subresourceShape } from '../registry/builtin.js';
import type { Registry, ResourceInfo } from '../registry/types.js';
import { groupVersion, servedGroups } from './groups.js';

/** GET /api. serverAddress ('10.0.0.10:6443') fills serverAddressByClientCIDRs as kube-apiserver's advertise address does. */
export function apiVersions(serverAddress?: string): object {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: serverAddress ? [{ clientCIDR: '0.0.0.0/0', serverAddress }] : [],
  };
}

/** GET /apis: every group but core, each with its versions, preferred first. */
export function apiGroupList(reg: Registry): object {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: servedGroups(reg)
      .filter((g) => g.group !== '')
      .map((g) => {
        const versions = g.versions.map((version) => ({
          groupVersion: groupVersion(g.group, version),
          version,
        }));
        return { name: g.group, versions, preferredVersion: versions[0] };
      }),
  };
}

/**
 * storageVersionHash as apiserver's discovery computes it: base64 of the first 8 bytes of
 * sha256("<group>/<version>/<kind>") of the storage version (pkg/endpoints/discovery).
 */
export function storageVersionHash(info: ResourceInfo): string {
  const storage = info.storageApiVersion ?? groupVersion(info.group, info.version);
  const [group, version] = storage.includes('/') ? storage.split('/') : ['', storage];
  return createHash('sha256')
    .update(`${group}/${version}/${info.kind}`)
    .digest()
    .subarray(0, 8)
    .toString('base64');
}

/** GET /api/v1 or /apis/<g>/<v>: the resources and their subresources ('pods/status'); undefined when not served. */
export function apiResourceList(reg: Registry, group: string, version: string): object | undefined {
  const served = servedGroups(reg)
    .find((g) => g.group === group)
    ?.resources.get(version);
  if (!served) return undefined;
  const resources: object[] = [];
  for (const info of served) {
    const entry: Record<string, unknown> = {
      name: info.plural,
      singularName: info.singular,
      namespaced: info.namespaced,
      kind: info.kind,
      verbs: [...info.verbs],
    };
    if (info.shortNames.length > 0) entry.shortNames = [...info.shortNames];
    if (info.categories.length > 0) entry.categories = [...info.categories];
    if (!info.virtual) entry.storageVersionHash = storageVersionHash(info);
    resources.push(entry);
    for (const sub of [...info.subresources].sort()) {
      const shape = subresourceShape(info, sub);
      const subEntry: Record<string, unknown> = {
        name: `${info.plural}/${sub}`,
        singularName: '',
        namespaced: info.namespaced,
        kind: shape.kind,
        verbs: shape.verbs,
      };
      // group and version appear only when the subresource speaks another group's kind
      if (shape.group !== info.group || shape.version !== info.version) {
        subEntry.group = shape.group;
        subEntry.version = shape.version;
      }
      resources.push(subEntry);
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion(group, version), resources };
}

/** GET /version for a server of gitVersion ('v1.32.4'). */
export function versionInfo(gitVersion: string): object {
  const m = /^v?(\d+)\.(\d+)/.exec(gitVersion);
  const arch =
    { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm' }[process.arch as string] ?? process.arch;
  return {
    major: m?.[1] ?? '',
    minor: m?.[2] ?? '',
    gitVersion,
    gitCommit: '',
    gitTreeState: 'clean',
    buildDate: '1970-01-01T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'node',
    platform: `${process.platform}/${arch}`,
  };
}
