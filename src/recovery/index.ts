/** `bootkube recover` (DESIGN §7): rebuilding a bootstrap asset dir after a full control-plane outage. */
export {
  recover,
  type RecoverOptions,
  type RecoverResult,
  type RecoverySource,
  type RecoveredComponent,
} from './recover.js';
export { DEFAULT_SELECTORS, type Selectors, type Role } from './types.js';
export { etcdRevision } from './sources/etcd.js';
export * from './errors.js';
