/** Errors of the stand-in control plane (src/sim/standins). */
import { InputError, RuntimeError } from '../../errors.js';

/** A stand-in's command line lacks what the real component would need to start (a flag, a file). */
export class StandInConfigError extends InputError {
  readonly code = 'STANDIN_CONFIG';
}

/** The API server answered a stand-in's request with a failure Status. */
export class KubeApiError extends RuntimeError {
  readonly code = 'KUBE_API';
  /** HTTP status: 404, 409, 410, 429, 5xx, … (0: no answer at all). */
  readonly status: number;
  /** The Status reason: NotFound, AlreadyExists, Conflict, Expired, … ('' when the body was not a Status). */
  readonly reason: string;

  constructor(message: string, status: number, reason: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.status = status;
    this.reason = reason;
  }
}

/** True for a KubeApiError of one of the given HTTP statuses. */
export function isApiStatus(err: unknown, ...statuses: number[]): err is KubeApiError {
  return err instanceof KubeApiError && statuses.includes(err.status);
}
