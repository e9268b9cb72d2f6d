/**
 * The kubelet's image manager: pulls by imagePullPolicy (Always: every start; IfNotPresent: when
 * missing; Never: fail with ErrImageNeverPull), one at a time per node (serializeImagePulls), with
 * the kubelet's events and messages, and a back-off after a failed pull (ErrImagePull, then
 * ImagePullBackOff) as the image puller's own flowcontrol back-off does.
 */
import { RestartBackoff } from './backoff.js';
import { SIM, simAnnotation, simDuration } from './annotations.js';
import type { Clock } from './clock.js';
import type { ContainerRuntime } from './container-runtime.js';
import type { ObjectRef } from './events.js';

export type Obj = Record<string, any>;

export type PullOutcome = { ok: true } | { ok: false; reason: string; message: string; retryMs?: number };

export interface ImagePullerOptions {
  clock: Clock;
  runtime: ContainerRuntime;
  /** Pull time when the pod does not say (kubelet ms). */
  pullDelayMs: number;
  event(ref: ObjectRef, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

export class ImagePuller {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly backoff: RestartBackoff;
  private readonly failedAt = new Map<string, number>();

  constructor(private readonly o: ImagePullerOptions) {
    this.backoff = new RestartBackoff(o.clock);
  }

  /** Makes sure the container's image is there, pulling it when its policy says so. */
  async ensure(pod: Obj, c: Obj, ref: ObjectRef, signal: AbortSignal): Promise<PullOutcome> {
    const { runtime, clock } = this.o;
    const image = String(c.image ?? '');
    const policy = c.imagePullPolicy ?? 'IfNotPresent';
    const present = runtime.hasImage(image);
    if (policy === 'Never' && !present) {
      const message = `Container image "${image}" is not present with pull policy of Never`;
      this.o.event(ref, 'Warning', 'ErrImageNeverPull', message);
      return { ok: false, reason: 'ErrImageNeverPull', message };
    }
    if (policy !== 'Always' && present) {
      this.o.event(ref, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
      return { ok: true };
    }
    const key = `${pod.metadata.uid}/${c.name}`;
    const failedAt = this.failedAt.get(key);
    if (failedAt !== undefined && this.backoff.isInBackOffSince(key, failedAt)) {
      const message = `Back-off pulling image "${image}"`;
      this.o.event(ref, 'Normal', 'BackOff', message);
      return {
        ok: false,
        reason: 'ImagePullBackOff',
        message,
        retryMs: this.backoff.remaining(key, failedAt),
      };
    }
    const queued = clock.now();
    // serializeImagePulls: one pull at a time on a node.
    const run = this.queue.then(async () => {
      if (signal.aborted) return { ok: false, reason: 'ContainerCreating', message: '' } as PullOutcome;
      this.o.event(ref, 'Normal', 'Pulling', `Pulling image "${image}"`);
      const started = clock.now();
      await clock
        .sleep(simDuration(pod, c, SIM.pullDelay) ?? this.o.pullDelayMs, signal)
        .catch(() => undefined);
      if (signal.aborted) return { ok: false, reason: 'ContainerCreating', message: '' } as PullOutcome;
      if (simAnnotation(pod, c, SIM.pullError) === 'true') {
        const now = clock.now();
        this.backoff.next(key, now);
        this.failedAt.set(key, now);
        const why = `rpc error: code = NotFound desc = failed to pull and unpack image "${image}": not found`;
        this.o.event(ref, 'Warning', 'Failed', `Failed to pull image "${image}": ${why}`);
        this.o.event(ref, 'Warning', 'Failed', 'Error: ErrImagePull');
        return {
          ok: false,
          reason: 'ErrImagePull',
          message: why,
          retryMs: this.backoff.remaining(key, now),
        } as PullOutcome;
      }
      const rec = runtime.addImage(image);
      this.failedAt.delete(key);
      const took = (clock.since(started) / 1000).toFixed(3);
      const total = (clock.since(queued) / 1000).toFixed(3);
      this.o.event(
        ref,
        'Normal',
        'Pulled',
        `Successfully pulled image "${image}" in ${took}s (${total}s including waiting). Image size: ${rec.sizeBytes} bytes.`,
      );
      return { ok: true } as PullOutcome;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
