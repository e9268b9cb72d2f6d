/**
 * A push-to-pull bridge for watches: a producer (an etcd stream, the memory store) pushes events,
 * the consumer iterates. Aborting the signal or leaving the loop ends it and calls onClose once,
 * so the producer is released however the consumer stops.
 */
export interface EventQueueHooks {
  /** Called once when iteration ends for any reason. */
  onClose?: () => void;
  /** Backpressure: called when the queue grows past highWater, then onResume below lowWater. */
  onPause?: () => void;
  onResume?: () => void;
  highWater?: number;
  lowWater?: number;
}

export class EventQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private head = 0;
  private error: unknown;
  private ended = false;
  private paused = false;
  private wake: (() => void) | undefined;
  private iterated = false;

  constructor(
    private readonly signal: AbortSignal,
    private readonly hooks: EventQueueHooks = {},
  ) {}

  /** Queues an item (ignored after end). */
  push(item: T): void {
    if (this.ended) return;
    this.items.push(item);
    if (!this.paused && this.hooks.onPause && this.size() > (this.hooks.highWater ?? 1000)) {
      this.paused = true;
      this.hooks.onPause();
    }
    this.notify();
  }

  /** Ends the iteration with err once the queued items are consumed. */
  fail(err: unknown): void {
    if (this.ended) return;
    this.error = err;
    this.ended = true;
    this.notify();
  }

  /** Ends the iteration cleanly once the queued items are consumed. */
  end(): void {
    this.ended = true;
    this.notify();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.iterated) throw new Error('a watch can be iterated once');
    this.iterated = true;
    const onAbort = () => this.notify();
    this.signal.addEventListener('abort', onAbort);
    try {
      for (;;) {
        if (this.signal.aborted) return;
        if (this.head < this.items.length) {
          const item = this.items[this.head]!;
          this.items[this.head++] = undefined as T;
          this.compactBuffer();
          yield item;
          continue;
        }
        if (this.ended) {
          if (this.error !== undefined) throw this.error;
          return;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      this.signal.removeEventListener('abort', onAbort);
      this.ended = true;
      this.hooks.onClose?.();
    }
  }

  private size(): number {
    return this.items.length - this.head;
  }

  private compactBuffer(): void {
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    if (this.paused && this.size() < (this.hooks.lowWater ?? 100)) {
      this.paused = false;
      this.hooks.onResume?.();
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
