export { abortableSleep, abortOnSignals } from './abort.js';
export {
  Checkpointer,
  type CheckpointerDeps,
  type IterationReport,
  type LoopOptions,
} from './checkpointer.js';
export { runCheckpointer, identityFromEnv, waitForLock, type CheckpointerOptions } from './daemon.js';
export {
  CheckpointStore,
  storeLayout,
  manifestFileName,
  type StoreLayout,
  type StoredManifest,
} from './store.js';
export { sanitizeCheckpointPod, manifestBytes, type Checkpoint } from './sanitize.js';
export {
  next,
  plan,
  actionOf,
  type CheckpointState,
  type Conditions,
  type Plan,
  type Action,
} from './state.js';
export { proveItself, type Proof } from './proof.js';
export { NodeView } from './view.js';
export * from './pods.js';
export * from './types.js';
export * from './errors.js';
export { apiPodSource, apiObjectFetcher, loadClusterAccess, type ClusterAccess } from './sources/api.js';
export { kubeletPodSource } from './sources/kubelet.js';
export { criRuntimeSource, CriClient, criTarget, runtimePods } from './sources/cri.js';
export { procHandoffLockInspector, podUidFromCgroup } from './sources/handoff-lock.js';
export { httpsReadyzProbe, apiserverPort } from './sources/readyz.js';
