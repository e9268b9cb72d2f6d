/**
 * What kube-apiserver does to a new pod after defaulting: the pod strategy's PrepareForCreate
 * (k/k:pkg/registry/core/pod/strategy.go: status = Pending + QoS class) and the default admission
 * plugins that mutate pods: Priority (plugin/pkg/admission/priority), DefaultTolerationSeconds
 * (plugin/pkg/admission/defaulttolerationseconds) and, when the handler looked the service
 * account up, ServiceAccount (plugin/pkg/admission/serviceaccount).
 */
import { AdmissionForbiddenError } from '../errors.js';
import { child, objectAt, objectsAt } from '../json.js';
import { randomNameSuffix } from '../names.js';
import { parseQuantity } from '../quantity.js';
import type { JsonObject } from '../types.js';

export interface PodAdmissionOptions {
  /** The PriorityClass of that name as stored ('' asks for the globalDefault class); undefined when there is none. */
  priorityClass?: (name: string) => { value: number; preemptionPolicy?: string } | undefined;
  /**
   * The pod's ServiceAccount as stored, or null when it does not exist. When given, ServiceAccount
   * admission runs (default account name, the kube-api-access token volume); when absent it does not.
   */
  serviceAccount?: object | null;
  /** The 5 characters of the kube-api-access-<suffix> volume name (random by default, as upstream). */
  randomSuffix?: () => string;
}

/** The classes kube-apiserver creates at start (scheduling.SystemPriorityClasses), PreemptLowerPriority. */
export const SYSTEM_PRIORITY_CLASSES: Readonly<Record<string, number>> = {
  'system-node-critical': 2000001000,
  'system-cluster-critical': 2000000000,
};

const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
const TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
/** serviceaccount.WarnOnlyBoundTokenExpirationSeconds: 1 h + 7 s, so tokens are recognisably projected. */
const TOKEN_EXPIRATION_SECONDS = 3607;

/** PrepareForCreate and the pod admission plugins, on an already defaulted pod. */
export function preparePodForCreate(pod: JsonObject, opts: PodAdmissionOptions): void {
  const spec = objectAt(pod, 'spec');
  const annotations = child(child(pod, 'metadata'), 'annotations');
  const mirror = annotations !== undefined && MIRROR_ANNOTATION in annotations;
  if (opts.serviceAccount !== undefined && !mirror) admitServiceAccount(pod, spec, opts);
  addDefaultTolerations(spec);
  admitPriority(spec, opts);
  // A client's status is dropped: every pod starts Pending (strategy.go PrepareForCreate).
  const status: JsonObject = { phase: 'Pending', qosClass: qosClass(spec) };
  if (Array.isArray(spec.schedulingGates) && spec.schedulingGates.length > 0) {
    status.conditions = [
      {
        type: 'PodScheduled',
        status: 'False',
        lastProbeTime: null,
        lastTransitionTime: null,
        reason: 'SchedulingGated',
        message: 'Scheduling is blocked due to non-empty scheduling gates',
      },
    ];
  }
  pod.status = status;
}

/** Priority admission: spec.priority (and preemptionPolicy) from the priority class. */
function admitPriority(spec: JsonObject, opts: PodAdmissionOptions): void {
  const name = typeof spec.priorityClassName === 'string' ? spec.priorityClassName : '';
  let value: number;
  let policy: string | undefined;
  if (name in SYSTEM_PRIORITY_CLASSES) {
    value = SYSTEM_PRIORITY_CLASSES[name];
    policy = 'PreemptLowerPriority';
  } else {
    const found = opts.priorityClass?.(name);
    if (name !== '' && !found) {
      throw new AdmissionForbiddenError('Priority', `no PriorityClass with name ${name} was found`);
    }
    // No globalDefault class: priority 0 (DefaultPriorityWhenNoDefaultClassExists), PreemptLowerPriority.
    value = found?.value ?? 0;
    policy = found ? (found.preemptionPolicy ?? 'PreemptLowerPriority') : 'PreemptLowerPriority';
  }
  if (typeof spec.priority === 'number' && spec.priority !== value) {
    throw new AdmissionForbiddenError(
      'Priority',
      `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${value} from the given PriorityClass name`,
    );
  }
  if (typeof spec.preemptionPolicy === 'string' && spec.preemptionPolicy !== policy) {
    throw new AdmissionForbiddenError(
      'Priority',
      `the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`,
    );
  }
  spec.priority = value;
  spec.preemptionPolicy = policy;
}

/** DefaultTolerationSeconds: tolerate not-ready and unreachable nodes for 300 s unless the pod says otherwise. */
function addDefaultTolerations(spec: JsonObject): void {
  const tolerations = objectsAt(spec, 'tolerations');
  const tolerates = (taint: string) =>
    tolerations.some((t) => (!t.key || t.key === taint) && (!t.effect || t.effect === 'NoExecute'));
  const added = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']
    .filter((taint) => !tolerates(taint))
    .map((key) => ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }));
  if (added.length > 0) spec.tolerations = [...tolerations, ...added];
}

/** ServiceAccount admission for a pod that is not a mirror pod. */
function admitServiceAccount(pod: JsonObject, spec: JsonObject, opts: PodAdmissionOptions): void {
  if (!spec.serviceAccountName) spec.serviceAccountName = 'default';
  spec.serviceAccount = spec.serviceAccountName;
  const namespace = String(child(pod, 'metadata')?.namespace ?? '');
  if (opts.serviceAccount === null) {
    throw new AdmissionForbiddenError(
      'ServiceAccount',
      `error looking up service account ${namespace}/${String(spec.serviceAccountName)}: serviceaccount "${String(spec.serviceAccountName)}" not found`,
    );
  }
  const saAutomount = (opts.serviceAccount as { automountServiceAccountToken?: unknown })
    .automountServiceAccountToken;
  const automount =
    typeof spec.automountServiceAccountToken === 'boolean'
      ? spec.automountServiceAccountToken
      : typeof saAutomount === 'boolean'
        ? saAutomount
        : true;
  if (!automount) return;
  const containers = [...objectsAt(spec, 'initContainers'), ...objectsAt(spec, 'containers')];
  const mounted = (c: JsonObject) =>
    objectsAt(c, 'volumeMounts').some((m) => m.mountPath === TOKEN_MOUNT_PATH);
  if (containers.length > 0 && containers.every(mounted)) return;
  const suffix = opts.randomSuffix?.() ?? randomNameSuffix();
  const name = `kube-api-access-${suffix}`;
  spec.volumes = [
    ...objectsAt(spec, 'volumes'),
    {
      name,
      projected: {
        sources: [
          { serviceAccountToken: { expirationSeconds: TOKEN_EXPIRATION_SECONDS, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          {
            downwardAPI: {
              items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
            },
          },
        ],
        defaultMode: 0o644,
      },
    },
  ];
  for (const container of containers) {
    if (mounted(container)) continue;
    container.volumeMounts = [
      ...objectsAt(container, 'volumeMounts'),
      { name, readOnly: true, mountPath: TOKEN_MOUNT_PATH },
    ];
  }
}

/** The pod's QoS class from container cpu/memory requests and limits (pkg/apis/core/helper/qos ComputePodQOS). */
export function qosClass(spec: JsonObject): 'BestEffort' | 'Burstable' | 'Guaranteed' {
  const requests = new Map<string, bigint>();
  const limits = new Map<string, bigint>();
  let guaranteed = true;
  for (const container of [...objectsAt(spec, 'containers'), ...objectsAt(spec, 'initContainers')]) {
    const resources = child(container, 'resources');
    add(requests, child(resources, 'requests'));
    const found = add(limits, child(resources, 'limits'));
    if (!found.has('cpu') || !found.has('memory')) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, request] of requests) if (limits.get(name) !== request) guaranteed = false;
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

/** Adds the positive cpu/memory quantities of list into sums; returns the names it added. */
function add(sums: Map<string, bigint>, list: JsonObject | undefined): Set<string> {
  const found = new Set<string>();
  for (const name of ['cpu', 'memory']) {
    const quantity = parseQuantity(list?.[name]);
    if (quantity === undefined || quantity <= 0n) continue;
    found.add(name);
    sums.set(name, (sums.get(name) ?? 0n) + quantity);
  }
  return found;
}
