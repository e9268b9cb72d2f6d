/** The served API groups and versions, in kube-apiserver's order, shared by every discovery document. */
import { BUILTIN_GROUP_ORDER } from '../registry/builtin.js';
import type { Registry, ResourceInfo } from '../registry/types.js';

export interface GroupVersions {
  /** '' for core. */
  group: string;
  /** Preferred first (kube-aware version order for custom resource groups). */
  versions: string[];
  resources: Map<string, ResourceInfo[]>;
}

/**
 * Kubernetes version priority (apimachinery version.CompareKubeAwareVersionStrings): GA before
 * beta before alpha, higher numbers first; anything else after, alphabetically.
 */
export function compareKubeVersions(a: string, b: string): number {
  const rank = (v: string): [number, number, number, string] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [3, 0, 0, v];
    const stage = m[2] === undefined ? 0 : m[2] === 'beta' ? 1 : 2;
    return [stage, -Number(m[1]), -Number(m[3] ?? 0), v];
  };
  const [x, y] = [rank(a), rank(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  return x[3].localeCompare(y[3]);
}

/** Every group the registry serves: core first, built-ins in /apis order, then custom groups by name. */
export function servedGroups(reg: Registry): GroupVersions[] {
  const byGroup = new Map<string, GroupVersions>();
  for (const info of reg.resources()) {
    let entry = byGroup.get(info.group);
    if (!entry) byGroup.set(info.group, (entry = { group: info.group, versions: [], resources: new Map() }));
    const list = entry.resources.get(info.version) ?? [];
    if (list.length === 0) entry.versions.push(info.version);
    list.push(info);
    entry.resources.set(info.version, list);
  }
  const rank = (group: string) => {
    const i = BUILTIN_GROUP_ORDER.indexOf(group);
    return i < 0 ? BUILTIN_GROUP_ORDER.length : i;
  };
  const groups = [...byGroup.values()].sort(
    (a, b) => rank(a.group) - rank(b.group) || a.group.localeCompare(b.group),
  );
  for (const g of groups) {
    g.versions.sort(compareKubeVersions);
    for (const list of g.resources.values()) list.sort((a, b) => a.plural.localeCompare(b.plural));
  }
  return groups;
}

export function groupVersion(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}
