/**
 * Finding the self-hosted control plane in a source snapshot: the workloads the selectors name
 * (render labels them `tier=control-plane,k8s-app=<component>`) and the Secrets and ConfigMaps
 * their pods use, cleaned of what the server sets, so `start` finds them existing and skips them.
 */
import {
  matchesLabels,
  parseLabelSelector,
  SelectorError,
  type LabelSelector,
} from '../apiserver/selectors/index.js';
import {
  RecoveryFlagsError,
  RecoveryIncompleteError,
  RecoveryNoControlPlaneError,
  RecoveryNotBootkubeError,
} from './errors.js';
import {
  DEFAULT_SELECTORS,
  type KubeObject,
  type Role,
  type Selectors,
  type SourceSnapshot,
} from './types.js';

export const ROLES: readonly Role[] = ['apiserver', 'controllerManager', 'scheduler'];

/** Selector flag of each role, for messages. */
export const SELECTOR_FLAGS: Record<Role, string> = {
  apiserver: '--apiserver-selector',
  controllerManager: '--controller-manager-selector',
  scheduler: '--scheduler-selector',
};

export interface Component {
  role: Role;
  /** The workload's name (kube-apiserver); the bootstrap pod is `bootstrap-<name>`. */
  name: string;
  namespace: string;
  /** DaemonSet, Deployment, or Pod for a checkpoint. */
  kind: string;
  /** The pod template's metadata and spec (a checkpoint's own). */
  template: { metadata?: KubeObject['metadata'] | Record<string, unknown>; spec: Record<string, any> };
}

export interface ControlPlane {
  components: Component[];
  /** Roles the source does not hold (only a checkpoint dir may lack some). */
  missing: Role[];
  /** The workloads, Secrets and ConfigMaps, cleaned, for manifests/. */
  objects: KubeObject[];
  secrets: KubeObject[];
}

/** Parses the selectors, defaults filled in; a bad one is a flag error. */
export function parseSelectors(
  given: Partial<Selectors> = {},
): Record<Role, LabelSelector> & { text: Selectors } {
  const text = {
    ...DEFAULT_SELECTORS,
    ...Object.fromEntries(Object.entries(given).filter(([, v]) => v)),
  } as Selectors;
  const parse = (role: Role) => {
    try {
      return parseLabelSelector(text[role]);
    } catch (err) {
      if (err instanceof SelectorError)
        throw new RecoveryFlagsError(
          `${SELECTOR_FLAGS[role]} ${JSON.stringify(text[role])}: ${err.message}`,
          { cause: err },
        );
      throw err;
    }
  };
  return {
    apiserver: parse('apiserver'),
    controllerManager: parse('controllerManager'),
    scheduler: parse('scheduler'),
    text,
  };
}

/** The control plane in `snapshot`; `partial` allows missing controller-manager or scheduler (checkpoints). */
export function findControlPlane(
  snapshot: SourceSnapshot,
  given: Partial<Selectors> = {},
  partial = false,
): ControlPlane {
  const selectors = parseSelectors(given);
  if (snapshot.objectCount === 0) {
    throw new RecoveryNoControlPlaneError(`found no Kubernetes objects in ${snapshot.description}`, {
      hint: snapshot.revision
        ? "check --etcd-prefix (kube-apiserver's --etcd-prefix) and that this is the cluster's etcd"
        : 'check that this is the right source',
    });
  }
  const candidates = [...snapshot.workloads, ...snapshot.pods];
  const components: Component[] = [];
  const missing: Role[] = [];
  for (const role of ROLES) {
    const found = candidates.filter((o) => matchesLabels(selectors[role], o.metadata.labels ?? {}));
    if (found.length > 1) {
      throw new RecoveryNotBootkubeError(
        `${SELECTOR_FLAGS[role]} ${selectors.text[role]} matches ${found.length} objects in ${snapshot.description}: ${found.map((o) => `${o.kind} ${o.metadata.name}`).join(', ')}`,
        { hint: `narrow ${SELECTOR_FLAGS[role]} to one` },
      );
    }
    const object = found[0];
    if (!object) {
      missing.push(role);
      continue;
    }
    const template =
      object.kind === 'Pod'
        ? { metadata: object.metadata, spec: object.spec }
        : (object.spec as any)?.template;
    if (!template?.spec?.containers?.length)
      throw new RecoveryIncompleteError(
        `${object.kind} ${object.metadata.name} in ${snapshot.description} has no pod template with containers`,
      );
    components.push({
      role,
      name: object.metadata.name,
      namespace: object.metadata.namespace ?? 'kube-system',
      kind: object.kind,
      template,
    });
  }
  if (missing.includes('apiserver') || (!partial && missing.length > 0)) {
    const what = missing.map((r) => selectors.text[r]).join('; ');
    throw new RecoveryNotBootkubeError(
      `${snapshot.description} holds a cluster, but no self-hosted control plane as bootkube makes it (nothing in kube-system labelled ${what})`,
      {
        hint: `if its workloads carry other labels, give ${missing.map((r) => SELECTOR_FLAGS[r]).join(', ')}`,
      },
    );
  }
  const secrets = referenced(components, 'secret', snapshot);
  const configMaps = referenced(components, 'configMap', snapshot);
  const workloads = snapshot.workloads.filter((w) =>
    components.some((c) => c.kind === w.kind && c.name === w.metadata.name),
  );
  return {
    components,
    missing,
    objects: [...workloads, ...secrets, ...configMaps].map(cleanObject),
    secrets: secrets.map(cleanObject),
  };
}

/** The Secrets or ConfigMaps the components' pods use (volumes, projected sources, env), decoded. */
function referenced(
  components: Component[],
  kind: 'secret' | 'configMap',
  snapshot: SourceSnapshot,
): KubeObject[] {
  const out = new Map<string, KubeObject>();
  for (const c of components) {
    for (const name of namesIn(c.template.spec, kind)) {
      if (out.has(name)) continue;
      const load = (kind === 'secret' ? snapshot.secrets : snapshot.configMaps).get(name);
      if (!load) {
        throw new RecoveryIncompleteError(
          `${c.kind} ${c.name} uses ${kind === 'secret' ? 'Secret' : 'ConfigMap'} ${c.namespace}/${name}, which ${snapshot.description} does not hold`,
          { hint: 'recover from another source (a backup taken before it was lost)' },
        );
      }
      out.set(name, load());
    }
  }
  return [...out.values()];
}

function namesIn(spec: Record<string, any>, kind: 'secret' | 'configMap'): string[] {
  const names = new Set<string>();
  for (const v of spec.volumes ?? []) {
    if (kind === 'secret' && v.secret?.secretName) names.add(v.secret.secretName);
    if (kind === 'configMap' && v.configMap?.name) names.add(v.configMap.name);
    for (const s of v.projected?.sources ?? []) if (s[kind]?.name) names.add(s[kind].name);
  }
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    for (const e of c.env ?? []) {
      const ref = e.valueFrom?.[kind === 'secret' ? 'secretKeyRef' : 'configMapKeyRef'];
      if (ref?.name) names.add(ref.name);
    }
    for (const e of c.envFrom ?? []) {
      const ref = e[kind === 'secret' ? 'secretRef' : 'configMapRef'];
      if (ref?.name) names.add(ref.name);
    }
  }
  return [...names].sort();
}

const SERVER_SET = [
  'uid',
  'resourceVersion',
  'managedFields',
  'creationTimestamp',
  'generation',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
];

/** The object as a manifest: no status and none of the metadata the server sets. */
export function cleanObject(object: KubeObject): KubeObject {
  const { status: _status, ...rest } = structuredClone(object);
  for (const field of SERVER_SET) delete rest.metadata[field];
  return rest as KubeObject;
}
