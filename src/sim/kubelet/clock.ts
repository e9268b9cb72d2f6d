/**
 * Time for the simulated kubelet. Every interval the kubelet has (node status 10 s, lease renewal
 * 10 s, restart back-off 10 s → 300 s, image pulls) is written in real-kubelet milliseconds and
 * divided by `speed` when scheduled, so tests and rehearsals run the same code ten or a hundred
 * times faster. Timestamps stay wall-clock (a Lease renewed "in the future" would keep a stopped
 * node alive for other components); durations measured between them are multiplied back by
 * `speed` through since(). Tests that must not wait use FakeClock.
 */

export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** How many times faster than a real kubelet every interval runs. */
  readonly speed: number;
  /** Wall-clock milliseconds since the epoch (what timestamps are made of). */
  now(): number;
  /** Kubelet milliseconds elapsed since wall-clock time `t`. */
  since(t: number): number;
  /** Runs fn once after `ms` kubelet milliseconds. */
  after(ms: number, fn: () => void): Timer;
  /** Resolves after `ms` kubelet milliseconds; rejects with the signal's reason when aborted first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock, `speed` times faster for intervals. */
export class RealClock implements Clock {
  constructor(readonly speed = 1) {
    if (!(speed > 0)) throw new RangeError(`speed must be positive, got ${speed}`);
  }

  now(): number {
    return Date.now();
  }

  since(t: number): number {
    return (Date.now() - t) * this.speed;
  }

  after(ms: number, fn: () => void): Timer {
    const handle = setTimeout(fn, Math.max(0, ms / this.speed));
    return { cancel: () => clearTimeout(handle) };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }
}

function sleepWith(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      timer.cancel();
      reject(signal!.reason);
    };
    const timer = clock.after(ms, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

/** A clock that moves only when told to: advance() runs what falls due, in order. */
export class FakeClock implements Clock {
  readonly speed: number = 1;
  private t: number;
  private seq = 0;
  private pending: Pending[] = [];

  constructor(start = Date.UTC(2025, 0, 1)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  since(t: number): number {
    return this.t - t;
  }

  after(ms: number, fn: () => void): Timer {
    const entry: Pending = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.pending.push(entry);
    return { cancel: () => (this.pending = this.pending.filter((p) => p !== entry)) };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }

  /** Moves time forward by `ms`, running every timer that falls due (and letting promises settle between them). */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await flushMicrotasks();
      this.pending.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.pending[0];
      if (!next || next.at > end) break;
      this.pending.shift();
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
    await flushMicrotasks();
  }

  /** Timers not yet run (for assertions). */
  pendingCount(): number {
    return this.pending.length;
  }
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/** client-go's wait.Jitter: d plus up to `factor`·d at random. */
export function jitter(d: number, factor: number, random: () => number = Math.random): number {
  return factor > 0 ? d + random() * factor * d : d;
}

/** RFC 3339 with whole seconds, as metav1.Time serialises. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * metav1.MicroTime: exactly six fractional digits. Go rejects JavaScript's three (DESIGN.md §4), and
 * a Lease that Go cannot decode breaks every lease list.
 */
export function microTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 19)}.${iso.slice(20, 23)}000Z`;
}

/** time.RFC3339Nano as Go prints it (trailing zeros of the fraction dropped), for config.seen. */
export function rfc3339Nano(ms: number): string {
  const iso = new Date(ms).toISOString();
  const frac = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 19)}${frac ? `.${frac}` : ''}Z`;
}
