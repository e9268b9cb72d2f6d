/**
 * Who holds the API hand-off lock, for the apiserver's proof of health (proof.ts): holders and
 * waiters from /proc/locks (src/lock), and the pod of each holder from its cgroup path when its
 * process is visible (the checkpointer in the host PID namespace). Without that, PIDs of other
 * namespaces read as 0 and only the counts are known.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { flockState } from '../../lock/proc-locks.js';
import type { HandoffLockInspector, HandoffLockView } from '../types.js';

// cgroupfs: /kubepods/burstable/pod<uid>/<container>; systemd: kubepods-burstable-pod<uid_with_underscores>.slice.
// Static pods have a 32-hex-digit UID (the hash of the manifest), without dashes.
const POD_IN_CGROUP =
  /pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12}|[0-9a-f]{32})(?:\.slice|\/|$)/m;

/** The pod UID in a /proc/<pid>/cgroup text, if the process runs in a pod. */
export function podUidFromCgroup(text: string): string | undefined {
  return POD_IN_CGROUP.exec(text)?.[1]?.replace(/_/g, '-');
}

export function procHandoffLockInspector(opts: {
  lockPath: string;
  procRoot?: string;
}): HandoffLockInspector {
  const procRoot = opts.procRoot ?? '/proc';
  return {
    async inspect(): Promise<HandoffLockView | 'unknown'> {
      let state;
      try {
        state = await flockState(opts.lockPath);
      } catch {
        return 'unknown';
      }
      const uids: string[] = [];
      for (const pid of state.holders) {
        const text =
          pid > 0
            ? await readFile(join(procRoot, String(pid), 'cgroup'), 'utf8').catch(() => undefined)
            : undefined;
        const uid = text && podUidFromCgroup(text);
        if (!uid) return { holders: state.holders.length, waiters: state.waiters.length };
        uids.push(uid);
      }
      return { holders: state.holders.length, waiters: state.waiters.length, holderPodUids: uids };
    },
  };
}
