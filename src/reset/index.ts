/**
 * `bootkube reset`: removing from a node what bootkube put there — its bootstrap secrets, pod
 * checkpoints, the static pods it wrote and its lock files — and nothing else.
 */
export * from './errors.js';
export { plan, OWNED_DIRS, OWNED_LOCKS, type BusyLock, type ResetEntry, type ResetPlan } from './plan.js';
export { apply, refuseIfBusy, type ResetResult } from './apply.js';
export { BOOTSTRAP_POD_NAMES, classifyStaticPodFile } from './static-pods.js';
export { formatPlan, formatResult } from './report.js';
