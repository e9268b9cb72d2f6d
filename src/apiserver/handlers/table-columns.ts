/**
 * The columns of `kubectl get` for the kinds people look at during a bootstrap, as k/k
 * pkg/printers/internalversion/printers.go prints them (wide columns have priority 1); NAME and
 * AGE for every other kind.
 */
import type { ResourceInfo } from '../registry/index.js';
import type { Obj } from './objects.js';

export interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
  cell: (o: Obj, now: number) => string | number;
}

const col = (
  name: string,
  cell: Column['cell'],
  opts: { type?: string; format?: string; priority?: number; description?: string } = {},
): Column => ({
  name,
  type: opts.type ?? 'string',
  format: opts.format ?? '',
  description: opts.description ?? '',
  priority: opts.priority ?? 0,
  cell,
});

const NAME = col('Name', (o) => o.metadata?.name ?? '', {
  format: 'name',
  description: 'Name must be unique within a namespace.',
});
const AGE = col('Age', (o, now) => age(o.metadata?.creationTimestamp, now), {
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
});
const none = (v: unknown) => (v === undefined || v === null || v === '' ? '<none>' : String(v));

/** duration.HumanDuration, as kubectl's AGE column shows it. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${hours / 24}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const years = Math.floor(hours / 24 / 365);
  if (hours < 24 * 365 * 8) {
    const days = Math.floor(hours / 24) % 365;
    return days === 0 ? `${years}y` : `${years}y${days}d`;
  }
  return `${years}y`;
}

function age(ts: string | undefined, now: number): string {
  if (!ts) return '<unknown>';
  return humanDuration(now - Date.parse(ts));
}

function podStatus(p: Obj): string {
  let reason: string = p.status?.reason || p.status?.phase || 'Unknown';
  for (const cs of p.status?.containerStatuses ?? []) {
    if (cs.state?.waiting?.reason) reason = cs.state.waiting.reason;
    else if (cs.state?.terminated?.reason) reason = cs.state.terminated.reason;
  }
  if (p.metadata?.deletionTimestamp) reason = p.status?.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return reason;
}

const POD: Column[] = [
  NAME,
  col(
    'Ready',
    (p) => {
      const statuses: Obj[] = p.status?.containerStatuses ?? [];
      return `${statuses.filter((s) => s.ready).length}/${(p.spec?.containers ?? []).length}`;
    },
    { description: 'The aggregate readiness state of this pod for accepting traffic.' },
  ),
  col('Status', podStatus, { description: 'The aggregate status of the containers in this pod.' }),
  col(
    'Restarts',
    (p) =>
      String((p.status?.containerStatuses ?? []).reduce((n: number, s: Obj) => n + (s.restartCount ?? 0), 0)),
    {
      description:
        'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    },
  ),
  AGE,
  col('IP', (p) => none(p.status?.podIP), {
    priority: 1,
    description: 'IP address allocated to the pod. Routable at least within the cluster.',
  }),
  col('Node', (p) => none(p.spec?.nodeName), {
    priority: 1,
    description: 'Name of the node where the pod is running.',
  }),
  col('Nominated Node', (p) => none(p.status?.nominatedNodeName), {
    priority: 1,
    description: 'Name of the node the pod is nominated to.',
  }),
  col(
    'Readiness Gates',
    (p) => (p.spec?.readinessGates?.length ? `0/${p.spec.readinessGates.length}` : '<none>'),
    { priority: 1, description: 'Readiness gates of the pod.' },
  ),
];

function nodeStatus(n: Obj): string {
  const ready = (n.status?.conditions ?? []).find((c: Obj) => c.type === 'Ready');
  const s = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (n.spec?.unschedulable) s.push('SchedulingDisabled');
  return s.join(',');
}

function nodeRoles(n: Obj): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries((n.metadata?.labels ?? {}) as Record<string, string>)) {
    if (k.startsWith('node-role.kubernetes.io/') && k.length > 'node-role.kubernetes.io/'.length)
      roles.add(k.slice('node-role.kubernetes.io/'.length));
    else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return roles.size ? [...roles].sort().join(',') : '<none>';
}

const address = (type: string) => (n: Obj) =>
  none((n.status?.addresses ?? []).find((a: Obj) => a.type === type)?.address);

const NODE: Column[] = [
  NAME,
  col('Status', nodeStatus, { description: 'The status of the node' }),
  col('Roles', nodeRoles, { description: 'The roles of the node' }),
  AGE,
  col('Version', (n) => n.status?.nodeInfo?.kubeletVersion ?? '', {
    description: 'Kubelet Version reported by the node.',
  }),
  col('Internal-IP', address('InternalIP'), {
    priority: 1,
    description: 'List of addresses reachable to the node.',
  }),
  col('External-IP', address('ExternalIP'), {
    priority: 1,
    description: 'List of addresses reachable to the node.',
  }),
  col('OS-Image', (n) => none(n.status?.nodeInfo?.osImage), {
    priority: 1,
    description: 'OS Image reported by the node.',
  }),
  col('Kernel-Version', (n) => none(n.status?.nodeInfo?.kernelVersion), {
    priority: 1,
    description: 'Kernel Version reported by the node.',
  }),
  col('Container-Runtime', (n) => none(n.status?.nodeInfo?.containerRuntimeVersion), {
    priority: 1,
    description: 'Container Runtime Version reported by the node.',
  }),
];

const NAMESPACE: Column[] = [
  NAME,
  col('Status', (n) => n.status?.phase ?? '', { description: 'The status of the namespace' }),
  AGE,
];

function servicePorts(s: Obj): string {
  const ports: Obj[] = s.spec?.ports ?? [];
  if (ports.length === 0) return '<none>';
  return ports
    .map((p) =>
      p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol ?? 'TCP'}` : `${p.port}/${p.protocol ?? 'TCP'}`,
    )
    .join(',');
}

const selector = (o: Obj) => {
  const sel = o.spec?.selector?.matchLabels ?? o.spec?.selector;
  if (!sel || typeof sel !== 'object' || Object.keys(sel).length === 0) return '<none>';
  return Object.entries(sel as Record<string, string>)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
};

const SERVICE: Column[] = [
  NAME,
  col('Type', (s) => s.spec?.type ?? 'ClusterIP', { description: 'The type of the service' }),
  col('Cluster-IP', (s) => none(s.spec?.clusterIP), { description: 'The cluster IP of the service' }),
  col(
    'External-IP',
    (s) => {
      const ips = [
        ...(s.spec?.externalIPs ?? []),
        ...((s.status?.loadBalancer?.ingress ?? []) as Obj[]).map((i) => i.ip ?? i.hostname),
      ];
      return ips.length ? ips.join(',') : s.spec?.type === 'LoadBalancer' ? '<pending>' : '<none>';
    },
    { description: 'The external IP of the service' },
  ),
  col('Port(s)', servicePorts, { description: 'The ports of the service' }),
  AGE,
  col('Selector', selector, { priority: 1, description: 'The selector of the service' }),
];

const containers = (o: Obj) => (o.spec?.template?.spec?.containers ?? []).map((c: Obj) => c.name).join(',');
const images = (o: Obj) => (o.spec?.template?.spec?.containers ?? []).map((c: Obj) => c.image).join(',');
const n = (v: unknown) => (typeof v === 'number' ? v : 0);

const DEPLOYMENT: Column[] = [
  NAME,
  col('Ready', (d) => `${n(d.status?.readyReplicas)}/${n(d.spec?.replicas ?? 1)}`, {
    description: 'Number of the pod with ready state',
  }),
  col('Up-to-date', (d) => n(d.status?.updatedReplicas), {
    type: 'integer',
    description:
      'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
  }),
  col('Available', (d) => n(d.status?.availableReplicas), {
    type: 'integer',
    description:
      'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
  }),
  AGE,
  col('Containers', containers, { priority: 1, description: 'Names of each container in the template.' }),
  col('Images', images, { priority: 1, description: 'Images referenced by each container in the template.' }),
  col('Selector', selector, { priority: 1, description: 'Label selector for pods.' }),
];

const DAEMONSET: Column[] = [
  NAME,
  col('Desired', (d) => n(d.status?.desiredNumberScheduled), {
    type: 'integer',
    description: 'The total number of nodes that should be running the daemon pod.',
  }),
  col('Current', (d) => n(d.status?.currentNumberScheduled), {
    type: 'integer',
    description: 'The number of nodes that are running at least 1 daemon pod.',
  }),
  col('Ready', (d) => n(d.status?.numberReady), {
    type: 'integer',
    description:
      'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.',
  }),
  col('Up-to-date', (d) => n(d.status?.updatedNumberScheduled), {
    type: 'integer',
    description: 'The total number of nodes that are running updated daemon pod',
  }),
  col('Available', (d) => n(d.status?.numberAvailable), {
    type: 'integer',
    description:
      'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.',
  }),
  col(
    'Node Selector',
    (d) => {
      const sel = d.spec?.template?.spec?.nodeSelector;
      return sel && Object.keys(sel).length
        ? Object.entries(sel as Record<string, string>)
            .map(([k, v]) => `${k}=${v}`)
            .join(',')
        : '<none>';
    },
    { description: 'NodeSelector is a selector which must be true for the pod to fit on a node.' },
  ),
  AGE,
  col('Containers', containers, { priority: 1, description: 'Names of each container in the template.' }),
  col('Images', images, { priority: 1, description: 'Images referenced by each container in the template.' }),
  col('Selector', selector, {
    priority: 1,
    description: 'A label query over pods that are managed by the daemon set.',
  }),
];

const BY_KIND: Record<string, Column[]> = {
  'v1/Pod': POD,
  'v1/Node': NODE,
  'v1/Namespace': NAMESPACE,
  'v1/Service': SERVICE,
  'apps/v1/Deployment': DEPLOYMENT,
  'apps/v1/DaemonSet': DAEMONSET,
};

/** The columns of info's kind. */
export function columnsOf(info: ResourceInfo): Column[] {
  return BY_KIND[`${info.group ? `${info.group}/` : ''}${info.version}/${info.kind}`] ?? [NAME, AGE];
}
