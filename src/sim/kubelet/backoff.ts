/**
 * The kubelet's crash-loop back-off (flowcontrol.Backoff as kuberuntime uses it: 10 s initial,
 * doubling, capped at 300 s, no jitter). A first failure restarts at once and arms 10 s; a failure
 * while armed waits out the current back-off ("CrashLoopBackOff"); a container that stayed up for
 * twice the cap is forgiven. Times are wall-clock ms; their differences are scaled by the clock's
 * speed, so back-off runs faster exactly as every other interval does.
 */
import type { Clock } from './clock.js';

export const BACKOFF_INITIAL_MS = 10_000;
export const BACKOFF_MAX_MS = 300_000;

interface Entry {
  backoff: number;
  lastUpdate: number;
}

export class RestartBackoff {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    private readonly initialMs = BACKOFF_INITIAL_MS,
    private readonly maxMs = BACKOFF_MAX_MS,
  ) {}

  private expired(eventTime: number, e: Entry): boolean {
    return (eventTime - e.lastUpdate) * this.clock.speed > this.maxMs * 2;
  }

  /** True while a container that finished at `finishedAt` must not be restarted yet. */
  isInBackOffSince(key: string, finishedAt: number): boolean {
    const e = this.entries.get(key);
    if (!e || this.expired(finishedAt, e)) return false;
    return this.clock.since(finishedAt) < e.backoff;
  }

  /** Records a restart: arms the initial back-off, or doubles the current one. */
  next(key: string, finishedAt: number): void {
    const e = this.entries.get(key);
    if (!e || this.expired(finishedAt, e))
      this.entries.set(key, { backoff: this.initialMs, lastUpdate: this.clock.now() });
    else
      this.entries.set(key, { backoff: Math.min(e.backoff * 2, this.maxMs), lastUpdate: this.clock.now() });
  }

  /** The current back-off of `key` in kubelet ms (0 when none). */
  get(key: string): number {
    return this.entries.get(key)?.backoff ?? 0;
  }

  /** Kubelet ms until a container that finished at `finishedAt` may restart. */
  remaining(key: string, finishedAt: number): number {
    const e = this.entries.get(key);
    if (!e || this.expired(finishedAt, e)) return 0;
    return Math.max(0, e.backoff - this.clock.since(finishedAt));
  }

  forget(prefix: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }
}

/** Go's time.Duration.String() for whole seconds and below, as kubelet messages print back-offs. */
export function goDuration(ms: number): string {
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000}m0s`;
  if (ms >= 60_000) return `${Math.floor(ms / 60_000)}m${(ms % 60_000) / 1000}s`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return ms >= 1000 ? `${ms / 1000}s` : `${ms}ms`;
}

/** Parses a Go duration ("1.5s", "100ms", "2m", "1h30m") into ms; undefined when it is not one. */
export function parseDuration(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(re)) {
    total += Number(m[1]) * unit[m[2]!]!;
    consumed += m[0].length;
  }
  return consumed === text.length && consumed > 0 ? total : undefined;
}
