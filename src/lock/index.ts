export {
  acquire,
  ensureLockFile,
  tryAcquire,
  type AcquireOptions,
  type HandoffLock,
} from './handoff-lock.js';
export { flockState, parseProcLocks, type FlockState } from './proc-locks.js';
export { acquireRunLock, type RunLockOptions } from './run-lock.js';
export { buildLockexec } from './lockexec-build.js';
export * from './errors.js';
