/**
 * Pod annotations that steer the simulation: how its containers behave, since no real image runs.
 * Each may be suffixed with `.<container>` to apply to one container only (that wins over the
 * pod-wide one). Durations are Go durations ("500ms", "10s", "2m") of kubelet time, so they scale
 * with the simulation's speed like every kubelet interval.
 *
 * | annotation                              | effect                                                          |
 * |-----------------------------------------|-----------------------------------------------------------------|
 * | sim.bootkube.dev/exit-after             | the process exits by itself this long after it started          |
 * | sim.bootkube.dev/exit-code              | the code it exits with then (default 0, so "Completed")         |
 * | sim.bootkube.dev/ready-after            | its readiness answer is false until this long after start       |
 * | sim.bootkube.dev/unready-after          | its readiness answer turns false this long after start          |
 * | sim.bootkube.dev/liveness-fail-after    | its liveness answer turns false this long after start           |
 * | sim.bootkube.dev/ignore-sigterm         | "true": SIGTERM is ignored; it dies at the grace period's end   |
 * | sim.bootkube.dev/stop-after             | on SIGTERM it takes this long to exit (default at once)         |
 * | sim.bootkube.dev/pull-delay             | image pull time (default: the node's, 1s)                       |
 * | sim.bootkube.dev/pull-error             | "true": pulling fails (ErrImagePull, then ImagePullBackOff)     |
 *
 * Init containers complete (exit 0) after 1s unless told otherwise; other containers run until
 * stopped. Readiness and liveness are asked only when the container declares the probe, at its
 * periodSeconds after initialDelaySeconds, failureThreshold in a row flipping the answer, exactly
 * as the kubelet's prober does.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { parseDuration } from './backoff.js';

export const SIM_ANNOTATION_PREFIX = 'sim.bootkube.dev/';

export const SIM = {
  exitAfter: 'sim.bootkube.dev/exit-after',
  exitCode: 'sim.bootkube.dev/exit-code',
  readyAfter: 'sim.bootkube.dev/ready-after',
  unreadyAfter: 'sim.bootkube.dev/unready-after',
  livenessFailAfter: 'sim.bootkube.dev/liveness-fail-after',
  ignoreSigterm: 'sim.bootkube.dev/ignore-sigterm',
  stopAfter: 'sim.bootkube.dev/stop-after',
  pullDelay: 'sim.bootkube.dev/pull-delay',
  pullError: 'sim.bootkube.dev/pull-error',
} as const;

/** The annotation's value for `container` (`<key>.<container>` first, then `<key>`). */
export function simAnnotation(
  pod: Pick<V1Pod, 'metadata'>,
  container: { name?: string } | undefined,
  key: string,
): string | undefined {
  const a = pod.metadata?.annotations ?? {};
  return (container ? a[`${key}.${container.name}`] : undefined) ?? a[key];
}

export function simDuration(
  pod: Pick<V1Pod, 'metadata'>,
  container: { name?: string } | undefined,
  key: string,
): number | undefined {
  return parseDuration(simAnnotation(pod, container, key));
}
