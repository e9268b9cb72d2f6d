/**
 * The pod status a kubelet computes from what its runtime says (generateAPIPodStatus and
 * pkg/kubelet/status/generate.go, v1.32): the phase by getPhase's rules, the kubelet-owned
 * conditions in the kubelet's order (PodReadyToStartContainers, Initialized, Ready,
 * ContainersReady, PodScheduled), and container statuses with waiting / running / terminated,
 * lastState, restartCount, ready and started. Pure: the pod worker owns the records, the status
 * manager adds lastTransitionTime and sends the patch.
 */
export type Obj = Record<string, any>;

export interface Terminated {
  exitCode: number;
  reason: string;
  message?: string;
  startedAt: string;
  finishedAt: string;
  containerID?: string;
}

export type ContainerState =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | { terminated: Terminated };

/** What the kubelet knows of one container (one name; attempts replace each other). */
export interface ContainerRecord {
  name: string;
  /** The image as the runtime reports it once pulled, the spec's image before. */
  image: string;
  imageID: string;
  containerID?: string;
  state: ContainerState;
  lastState?: { terminated: Terminated };
  restartCount: number;
  ready: boolean;
  started: boolean;
}

export interface PodRecord {
  hostIP: string;
  /** Set once the sandbox has its network (the node's IP under hostNetwork). */
  podIP?: string;
  sandboxReady: boolean;
  startTime?: string;
  init: Map<string, ContainerRecord>;
  containers: Map<string, ContainerRecord>;
  /** The pod worker has finished: nothing of this pod will run again (deleted, or completed). */
  terminal: boolean;
}

export const KUBELET_CONDITIONS = [
  'PodReadyToStartContainers',
  'Initialized',
  'Ready',
  'ContainersReady',
  'PodScheduled',
] as const;

const running = (c: ContainerRecord | undefined) => !!c && 'running' in c.state;
const terminated = (c: ContainerRecord | undefined) =>
  c && 'terminated' in c.state ? c.state.terminated : undefined;
const waiting = (c: ContainerRecord | undefined) => !!c && 'waiting' in c.state;

/** An init container with restartPolicy Always (a sidecar). */
export function isSidecar(c: Obj): boolean {
  return c.restartPolicy === 'Always';
}

/** getPhase: the pod phase from its containers' states, its restart policy and whether it is terminal. */
export function podPhase(pod: Obj, rec: PodRecord, isStatic: boolean): string {
  const spec = pod.spec ?? {};
  const restartPolicy = spec.restartPolicy ?? 'Always';
  let pendingInit = 0;
  let failedInit = 0;
  for (const c of spec.initContainers ?? []) {
    if (isSidecar(c)) continue;
    const s = rec.init.get(c.name);
    const t = terminated(s);
    if (!s || running(s)) pendingInit++;
    else if (t) failedInit += t.exitCode !== 0 ? 1 : 0;
    else if (s.lastState?.terminated) failedInit += s.lastState.terminated.exitCode !== 0 ? 1 : 0;
    else pendingInit++;
  }
  let unknown = 0;
  let run = 0;
  let wait = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of spec.initContainers ?? []) {
    if (!isSidecar(c)) continue;
    const s = rec.init.get(c.name);
    if (!s) {
      pendingInit++;
      unknown++;
    } else if (running(s)) {
      if (!s.started) pendingInit++;
      run++;
    } else if (waiting(s) && !s.lastState?.terminated) {
      pendingInit++;
      wait++;
    }
  }
  for (const c of spec.containers ?? []) {
    const s = rec.containers.get(c.name);
    const t = terminated(s);
    if (!s) unknown++;
    else if (running(s)) run++;
    else if (t) {
      stopped++;
      if (t.exitCode === 0) succeeded++;
    } else if (s.lastState?.terminated) stopped++;
    else wait++;
  }
  if (failedInit > 0 && restartPolicy === 'Never') return 'Failed';
  const anyRegularStarted = (spec.containers ?? []).some((c: Obj) => {
    const s = rec.containers.get(c.name);
    return !!s && (s.restartCount > 0 || running(s) || !!terminated(s));
  });
  if ((pendingInit > 0 && !anyRegularStarted) || wait > 0) return 'Pending';
  if (run > 0 && unknown === 0) return 'Running';
  if (run === 0 && stopped > 0 && unknown === 0) {
    // A terminal pod's containers will not restart whatever its policy (static pods excepted, #116484).
    if (rec.terminal && !isStatic) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function names(list: string[]): string {
  return `[${list.join(' ')}]`;
}

function cond(type: string, status: boolean, reason?: string, message?: string): Obj {
  const c: Obj = { type, status: status ? 'True' : 'False', lastProbeTime: null };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

/** The kubelet-owned conditions, in the order the kubelet appends them (without transition times). */
export function podConditions(pod: Obj, rec: PodRecord, phase: string): Obj[] {
  const spec = pod.spec ?? {};
  const out: Obj[] = [cond('PodReadyToStartContainers', rec.sandboxReady && !!rec.podIP)];
  // Initialized
  const inits: Obj[] = spec.initContainers ?? [];
  const unknownInit = inits.filter((c) => !rec.init.get(c.name)).map((c) => c.name);
  const incomplete = inits
    .filter((c) => rec.init.get(c.name))
    .filter((c) => {
      const s = rec.init.get(c.name)!;
      return isSidecar(c) ? !s.started : terminated(s)?.reason !== 'Completed';
    })
    .map((c) => c.name);
  if (phase === 'Succeeded' && unknownInit.length === 0) out.push(cond('Initialized', true, 'PodCompleted'));
  else if (unknownInit.length || incomplete.length) {
    const msg = [
      unknownInit.length ? `containers with unknown status: ${names(unknownInit)}` : '',
      incomplete.length ? `containers with incomplete status: ${names(incomplete)}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    out.push(cond('Initialized', false, 'ContainersNotInitialized', msg));
  } else out.push(cond('Initialized', true));
  // ContainersReady, then Ready from it (readiness gates are someone else's conditions)
  const cr = containersReady(pod, rec, phase);
  let ready = cr.status === 'True' ? cond('Ready', true) : cond('Ready', false, cr.reason, cr.message);
  if (cr.status === 'True') {
    const missing = (spec.readinessGates ?? [])
      .map((g: Obj) => g.conditionType)
      .filter(
        (t: string) => !(pod.status?.conditions ?? []).some((c: Obj) => c.type === t && c.status === 'True'),
      );
    if (missing.length)
      ready = cond(
        'Ready',
        false,
        'ReadinessGatesNotReady',
        missing
          .map((t: string) => `corresponding condition of pod readiness gate "${t}" does not exist.`)
          .join(', '),
      );
  }
  out.push(ready, cr, cond('PodScheduled', true));
  return out;
}

function containersReady(pod: Obj, rec: PodRecord, phase: string): Obj {
  const spec = pod.spec ?? {};
  const unknown: string[] = [];
  const unready: string[] = [];
  const check = (c: Obj, s: ContainerRecord | undefined) =>
    !s ? unknown.push(c.name) : !s.ready ? unready.push(c.name) : 0;
  for (const c of spec.initContainers ?? []) if (isSidecar(c)) check(c, rec.init.get(c.name));
  for (const c of spec.containers ?? []) check(c, rec.containers.get(c.name));
  if (phase === 'Succeeded' && unknown.length === 0) return cond('ContainersReady', false, 'PodCompleted');
  if (phase === 'Failed') return cond('ContainersReady', false, 'PodFailed');
  const msg = [
    unknown.length ? `containers with unknown status: ${names(unknown)}` : '',
    unready.length ? `containers with unready status: ${names(unready)}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return msg ? cond('ContainersReady', false, 'ContainersNotReady', msg) : cond('ContainersReady', true);
}

/** A container status as the API shows it; `fallbackReason` for containers the runtime has not made yet. */
export function containerStatus(c: Obj, s: ContainerRecord | undefined, fallbackReason: string): Obj {
  if (!s) {
    return {
      name: c.name,
      state: { waiting: { reason: fallbackReason } },
      lastState: {},
      ready: false,
      restartCount: 0,
      image: c.image,
      imageID: '',
      started: false,
    };
  }
  const out: Obj = {
    name: s.name,
    state: s.state,
    lastState: s.lastState ?? {},
    ready: s.ready,
    restartCount: s.restartCount,
    image: s.image,
    imageID: s.imageID,
  };
  if (s.containerID) out.containerID = s.containerID;
  out.started = s.started;
  return out;
}

/** The whole status the kubelet would send for `pod` now (conditions without lastTransitionTime). */
export function generatePodStatus(pod: Obj, rec: PodRecord, isStatic: boolean): Obj {
  const spec = pod.spec ?? {};
  const phase = podPhase(pod, rec, isStatic);
  const fallback = (spec.initContainers ?? []).length > 0 ? 'PodInitializing' : 'ContainerCreating';
  const status: Obj = {
    phase,
    conditions: podConditions(pod, rec, phase),
    hostIP: rec.hostIP,
    hostIPs: [{ ip: rec.hostIP }],
  };
  if (rec.podIP) {
    status.podIP = rec.podIP;
    status.podIPs = [{ ip: rec.podIP }];
  }
  if (rec.startTime) status.startTime = rec.startTime;
  if ((spec.initContainers ?? []).length)
    status.initContainerStatuses = spec.initContainers.map((c: Obj) =>
      containerStatus(c, rec.init.get(c.name), fallback),
    );
  status.containerStatuses = (spec.containers ?? []).map((c: Obj) =>
    containerStatus(c, rec.containers.get(c.name), fallback),
  );
  status.qosClass = pod.status?.qosClass ?? qosClass(pod);
  return status;
}

/** v1qos.GetPodQOS, enough for the simulation: Guaranteed, Burstable or BestEffort. */
export function qosClass(pod: Obj): string {
  const all: Obj[] = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const any = all.some(
    (c) => Object.keys(c.resources?.requests ?? {}).length || Object.keys(c.resources?.limits ?? {}).length,
  );
  if (!any) return 'BestEffort';
  const guaranteed = all.every((c) => {
    const l = c.resources?.limits ?? {};
    const r = { ...l, ...(c.resources?.requests ?? {}) };
    return l.cpu && l.memory && r.cpu === l.cpu && r.memory === l.memory;
  });
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** Whether every container has stopped for good (canBeDeleted's runtime half). */
export function allStopped(rec: PodRecord): boolean {
  return [...rec.init.values(), ...rec.containers.values()].every((c) => !running(c));
}
