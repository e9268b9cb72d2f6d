/**
 * Custom resources from CustomResourceDefinitions (apiextensions.k8s.io/v1), as
 * apiextensions-apiserver serves them: one resource per served version, stored under
 * /registry/<group>/<plural> (SimpleStorageFactory, reference §5.2) in the storage version.
 */
import type { JsonObject, ResourceInfo, Subresource } from './types.js';

const CR_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

interface CrdNames {
  plural?: string;
  singular?: string;
  kind?: string;
  listKind?: string;
  shortNames?: string[];
  categories?: string[];
}

interface CrdVersion {
  name?: string;
  served?: boolean;
  storage?: boolean;
  subresources?: {
    status?: object;
    scale?: { specReplicasPath?: string; statusReplicasPath?: string; labelSelectorPath?: string };
  };
  selectableFields?: { jsonPath?: string }[];
}

interface Crd {
  metadata?: { name?: string };
  spec?: { group?: string; scope?: string; names?: CrdNames; versions?: CrdVersion[] };
}

/** The resources one CRD defines: its served versions; [] for a CRD too malformed to serve. */
export function customResources(crdObject: object): ResourceInfo[] {
  const crd = crdObject as Crd;
  const spec = crd.spec;
  const names = spec?.names;
  const group = spec?.group;
  if (!group || !names?.plural || !names.kind || !Array.isArray(spec.versions)) return [];
  const storage = spec.versions.find((v) => v.storage)?.name;
  if (!storage) return [];
  const kind = names.kind;
  return spec.versions
    .filter((v) => v.served && v.name)
    .map((v) => {
      const subresources: Subresource[] = [];
      if (v.subresources?.scale) subresources.push('scale');
      if (v.subresources?.status) subresources.push('status');
      const info: ResourceInfo = {
        group,
        version: v.name!,
        kind,
        listKind: names.listKind || `${kind}List`,
        plural: names.plural!,
        // apiextensions' defaulting: singular = lower-cased kind (SetDefaults_CustomResourceDefinitionSpec)
        singular: names.singular || kind.toLowerCase(),
        namespaced: spec.scope !== 'Cluster',
        shortNames: [...(names.shortNames ?? [])],
        categories: [...(names.categories ?? [])],
        verbs: [...CR_VERBS],
        storagePrefix: `${group}/${names.plural}`,
        subresources,
        // selectableFields jsonPaths are '.spec.color'; the field label is 'spec.color'
        selectableFields: (v.selectableFields ?? [])
          .map((f) => (f.jsonPath ?? '').replace(/^\./, ''))
          .filter((f) => f.length > 0),
        crd: crd.metadata?.name ?? `${names.plural}.${group}`,
      };
      if (v.name !== storage) info.storageApiVersion = `${group}/${storage}`;
      const scale = v.subresources?.scale;
      if (scale?.specReplicasPath && scale.statusReplicasPath) {
        info.scale = {
          specReplicasPath: scale.specReplicasPath,
          statusReplicasPath: scale.statusReplicasPath,
        };
        if (scale.labelSelectorPath) info.scale.labelSelectorPath = scale.labelSelectorPath;
      }
      return info;
    });
}

/**
 * The status apiextensions-apiserver's controllers give a new CRD within moments (naming
 * controller: NamesAccepted + acceptedNames; establishing controller: Established), and the
 * storedVersions its strategy sets on create. The shim has no such controllers, so the handler
 * sets this on create; `now` is an RFC 3339 time with seconds precision.
 */
export function establishedCrdStatus(crdObject: object, now: string): JsonObject {
  const crd = crdObject as Crd & { status?: { storedVersions?: string[] } };
  const names = crd.spec?.names ?? {};
  const kind = names.kind ?? '';
  const acceptedNames: JsonObject = {
    plural: names.plural,
    singular: names.singular || kind.toLowerCase(),
    kind,
    listKind: names.listKind || `${kind}List`,
  };
  if (names.shortNames?.length) acceptedNames.shortNames = [...names.shortNames];
  if (names.categories?.length) acceptedNames.categories = [...names.categories];
  const storage = crd.spec?.versions?.find((v) => v.storage)?.name;
  const stored = [...(crd.status?.storedVersions ?? [])];
  if (storage && !stored.includes(storage)) stored.push(storage);
  return {
    acceptedNames,
    conditions: [
      {
        type: 'NamesAccepted',
        status: 'True',
        lastTransitionTime: now,
        reason: 'NoConflicts',
        message: 'no conflicts found',
      },
      {
        type: 'Established',
        status: 'True',
        lastTransitionTime: now,
        reason: 'InitialNamesAccepted',
        message: 'the initial names have been accepted',
      },
    ],
    storedVersions: stored,
  };
}
