/**
 * "Proved itself on this node" (DESIGN.md §6): a new version of a checkpointed pod replaces the
 * checkpoint only once it has shown it works here, so a bad update never takes away the last good
 * copy (bootkube PR #67). For most pods that is: it runs and is Ready. For an apiserver that takes
 * the API hand-off lock, Ready proves nothing (under hostNetwork its readiness probe may be answered
 * by whichever apiserver holds the port), so it must itself hold the lock and answer /readyz.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { isReady, podId, usesHandoffLock } from './pods.js';
import type { HandoffLockInspector, ReadyzProbe } from './types.js';
import type { NodeView } from './view.js';

export type Proof = { proof: 'proved' } | { proof: 'not-yet' | 'unknown'; why: string };

export interface ProofDeps {
  lock: HandoffLockInspector;
  readyz: ReadyzProbe;
}

/** Whether `pod` (as the API or kubelet has it) has proved itself on this node now. */
export async function proveItself(
  pod: V1Pod,
  view: NodeView,
  deps: ProofDeps,
  signal: AbortSignal,
): Promise<Proof> {
  const running = view.podRuns(pod);
  if (running === 'unknown') return { proof: 'unknown', why: 'the container runtime did not answer' };
  if (!running) return { proof: 'not-yet', why: 'it is not running' };
  if (!isReady(pod)) return { proof: 'not-yet', why: 'it is not Ready' };
  if (!usesHandoffLock(pod)) return { proof: 'proved' };

  const lock = await deps.lock.inspect();
  if (lock === 'unknown') return { proof: 'unknown', why: 'the API hand-off lock cannot be inspected' };
  if (lock.holderPodUids) {
    if (!lock.holderPodUids.includes(pod.metadata?.uid ?? ''))
      return { proof: 'not-yet', why: 'it does not hold the API hand-off lock' };
  } else {
    // Holder PIDs not visible (no host PID namespace): the lock is held, nobody waits for it, and no
    // other pod that takes it runs here, so the holder can only be this pod.
    if (lock.holders === 0 || lock.waiters > 0)
      return { proof: 'not-yet', why: 'it does not hold the API hand-off lock' };
    for (const other of view.otherRunning(pod)) {
      if (!other.pod)
        return {
          proof: 'unknown',
          why: `running pod ${other.runtime.namespace}/${other.runtime.name} is unknown to every source`,
        };
      if (usesHandoffLock(other.pod))
        return { proof: 'not-yet', why: `${podId(other.pod)} may hold the API hand-off lock` };
    }
  }
  if (!(await deps.readyz(pod, signal).catch(() => false)))
    return { proof: 'not-yet', why: 'it does not answer /readyz' };
  return { proof: 'proved' };
}
