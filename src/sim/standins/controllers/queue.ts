/**
 * A rate-limited work queue of object keys, as client-go's workqueue: a key is queued once however
 * often it is added, never processed by two workers at once (added while in progress, it runs
 * again afterwards), and a key whose sync failed comes back after an exponential delay.
 */
import { sleep } from '../client/informer.js';

export interface QueueOptions {
  /** First retry delay and its ceiling (client-go: 5 ms … 1000 s; shorter here, for rehearsals). */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly waiters: (() => void)[] = [];
  private stopped = false;

  constructor(private readonly opts: QueueOptions = {}) {}

  add(key: string): void {
    if (this.stopped) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.waiters.shift()?.();
  }

  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    if (ms <= 0) return this.add(key);
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.add(key);
    }, ms);
    this.timers.add(t);
  }

  /** Re-adds a key whose sync failed, after 2^failures × base. */
  addRateLimited(key: string): void {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const base = this.opts.baseDelayMs ?? 50;
    this.addAfter(key, Math.min(base * 2 ** n, this.opts.maxDelayMs ?? 10_000));
  }

  /** Clears a key's failure count after a successful sync. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Processes keys with `workers` concurrent workers until `signal` aborts. */
  async run(
    signal: AbortSignal,
    workers: number,
    sync: (key: string) => Promise<void>,
    log?: (line: string) => void,
  ): Promise<void> {
    const stop = (): void => {
      this.stopped = true;
      for (const t of this.timers) clearTimeout(t);
      this.timers.clear();
      for (const w of this.waiters.splice(0)) w();
    };
    signal.addEventListener('abort', stop, { once: true });
    const worker = async (): Promise<void> => {
      while (!signal.aborted) {
        const key = this.queue.shift();
        if (key === undefined) {
          await new Promise<void>((resolve) => this.waiters.push(resolve));
          continue;
        }
        this.queued.delete(key);
        this.processing.add(key);
        try {
          await sync(key);
          this.forget(key);
        } catch (err) {
          if (!signal.aborted) {
            log?.(`sync ${key}: ${(err as Error).message}`);
            this.addRateLimited(key);
          }
        } finally {
          this.processing.delete(key);
          if (this.dirty.delete(key)) this.add(key);
        }
        // Let informer events in between syncs, as separate goroutines would.
        await sleep(0);
      }
    };
    await Promise.all(Array.from({ length: workers }, worker));
  }
}
