/**
 * From a self-hosted component's pod template to the bootstrap pod `start` runs (the shape of
 * templates/bootstrap-manifests/*.yaml): same images, commands, flags, env and volume mounts, the
 * lockexec wrapper and its init container; on the host network, no token, no container ports
 * (under hostNetwork a port becomes a host port that blocks the self-hosted pod), no probes, root
 * (bootstrap-secrets holds root's 0600 files). Secret volumes become the bootstrap-secrets hostPath,
 * which `start` fills with the union of the control-plane Secrets, as render's bootstrap pods use it.
 */
import { ANNOTATIONS, HOST_PATHS, LABELS, SECRET_NAMES } from '../render/constants.js';
import type { Component } from './control-plane.js';
import { RecoveryIncompleteError } from './errors.js';
import type { KubeObject, Role } from './types.js';

/** Render's file names, so a recovered dir looks like a rendered one. */
export const BOOTSTRAP_FILES: Record<Role, string> = {
  apiserver: 'bootstrap-manifests/bootstrap-apiserver.yaml',
  controllerManager: 'bootstrap-manifests/bootstrap-controller-manager.yaml',
  scheduler: 'bootstrap-manifests/bootstrap-scheduler.yaml',
};

const START_FILLS = new Set<string>(Object.values(SECRET_NAMES));
// Scheduling and identity that a pod bound by nodeName, without a token, has no use for.
const POD_FIELDS_DROPPED = [
  'nodeSelector',
  'affinity',
  'topologySpreadConstraints',
  'serviceAccountName',
  'serviceAccount',
  'securityContext',
  'imagePullSecrets',
  'ephemeralContainers',
  'nodeName',
];
const CONTAINER_FIELDS_DROPPED = ['ports', 'livenessProbe', 'readinessProbe', 'startupProbe'];
const RUN_AS = ['runAsUser', 'runAsGroup', 'runAsNonRoot'];

/** The bootstrap pod of `c`. Throws RecoveryIncompleteError for a template `start` could not run. */
export function bootstrapPod(c: Component): KubeObject {
  const spec = structuredClone(c.template.spec);
  const where = `${c.kind} ${c.namespace}/${c.name}`;
  for (const field of POD_FIELDS_DROPPED) delete spec[field];
  spec.hostNetwork = true;
  spec.automountServiceAccountToken = false;
  // Node-critical and tolerating every taint, like render's bootstrap pods: the kubelet admits it first.
  spec.priorityClassName = 'system-node-critical';
  spec.tolerations = [{ operator: 'Exists' }];
  spec.volumes = (spec.volumes ?? []).map((v: any) => bootstrapVolume(where, v));
  const containers = (list: any[] | undefined) =>
    list?.map((container) => {
      const out = { ...container };
      for (const field of CONTAINER_FIELDS_DROPPED) delete out[field];
      if (out.securityContext) {
        out.securityContext = { ...out.securityContext };
        for (const field of RUN_AS) delete out.securityContext[field];
        if (Object.keys(out.securityContext).length === 0) delete out.securityContext;
      }
      for (const e of out.env ?? []) {
        if (e.valueFrom?.secretKeyRef || e.valueFrom?.configMapKeyRef)
          unsupported(where, `env ${e.name} of container ${out.name} comes from a Secret or ConfigMap`);
      }
      if (out.envFrom?.length)
        unsupported(where, `container ${out.name} takes env from a Secret or ConfigMap`);
      return out;
    });
  spec.containers = containers(spec.containers);
  if (spec.initContainers) spec.initContainers = containers(spec.initContainers);
  const annotations = { ...((c.template.metadata as KubeObject['metadata'] | undefined)?.annotations ?? {}) };
  // A checkpointed bootstrap pod would outlive the hand-off and fight the self-hosted one.
  delete annotations[ANNOTATIONS.checkpoint];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `bootstrap-${c.name}`,
      namespace: c.namespace,
      // Not the workload's selector: a matching orphan pod would be adopted and replaced by it.
      labels: { [LABELS.tier]: 'control-plane', [LABELS.app]: `bootstrap-${c.name}` },
      ...(Object.keys(annotations).length ? { annotations } : {}),
    },
    spec,
  };
}

function bootstrapVolume(where: string, v: any): any {
  if (v.secret) {
    const name = v.secret.secretName;
    if (!START_FILLS.has(name))
      unsupported(
        where,
        `volume ${v.name} mounts Secret ${name}; start installs only ${[...START_FILLS].join(', ')} into bootstrap-secrets`,
      );
    if (v.secret.items?.some((i: any) => i.path !== i.key))
      unsupported(where, `volume ${v.name} renames keys of Secret ${name} (items)`);
    return { name: v.name, hostPath: { path: HOST_PATHS.bootstrapSecrets, type: 'Directory' } };
  }
  if (v.hostPath || v.emptyDir) return v;
  const kind = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
  return unsupported(where, `volume ${v.name} is a ${kind} volume, which a bootstrap pod cannot have`);
}

function unsupported(where: string, what: string): never {
  throw new RecoveryIncompleteError(`${where}: ${what}`, {
    hint: "bootkube recover rebuilds control planes as render makes them; move this into the component's Secret, or write the bootstrap pod by hand",
  });
}
