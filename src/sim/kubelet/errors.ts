import { InputError, RuntimeError } from '../../errors.js';

/** Bad input to the simulation: a kubeconfig without a certificate, a bad flag combination. */
export class SimConfigError extends InputError {
  readonly code = 'SIM_BAD_CONFIG';
}

/** `--exit-on-lock-contention` without `--lock-file` (the kubelet refuses to start the same way). */
export class SimLockFlagError extends InputError {
  readonly code = 'SIM_LOCK_FLAGS';
}

/** A simulated kubelet could not start (its lock file, its /pods port). */
export class SimStartError extends RuntimeError {
  readonly code = 'SIM_START_FAILED';
}
