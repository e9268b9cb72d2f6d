// Waiting without sleeping (a condition polled until a deadline), a hand-driven clock, and a watch
// reader that gives up after a deadline instead of hanging the run.
import { within as withDeadline } from '../../helpers/wait.js';
import type { StorageEvent } from '../../../src/apiserver/storage/index.js';

export { waitFor } from '../../helpers/wait.js';

/** Settles as promise does, or rejects after timeoutMs. */
export function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  return withDeadline(promise, { timeoutMs, what });
}

/** A clock that moves only when told to. */
export class FakeClock {
  constructor(private t = 1_700_000_000_000) {}
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

/** The first `count` events of a watch; fails after timeoutMs, reporting what did arrive. */
export async function takeEvents(
  watch: AsyncIterable<StorageEvent>,
  count: number,
  timeoutMs = 5000,
): Promise<StorageEvent[]> {
  const events: StorageEvent[] = [];
  const reading = (async () => {
    for await (const e of watch) {
      events.push(e);
      if (events.length >= count) break;
    }
    return events;
  })();
  try {
    return await within(reading, timeoutMs, `${count} watch events`);
  } catch (err) {
    if (events.length < count && (err as Error).message.startsWith('timed out')) {
      throw new Error(
        `${(err as Error).message}; got ${events.length}: ${events.map((e) => `${e.type} ${e.key}@${e.revision}`).join(', ')}`,
      );
    }
    throw err;
  }
}

/** The error a watch ends with (undefined if it ends cleanly), within timeoutMs. */
export async function watchOutcome(watch: AsyncIterable<StorageEvent>, timeoutMs = 5000): Promise<unknown> {
  return within(
    (async () => {
      try {
        for await (const _ of watch) {
          // draining
        }
        return undefined;
      } catch (err) {
        return err;
      }
    })(),
    timeoutMs,
    'the watch to end',
  );
}

/** A minimal object as the registry would store it. */
export function pod(
  name: string,
  extra: Record<string, unknown> = {},
): {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; uid: string; creationTimestamp: string };
  [k: string]: unknown;
} {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, creationTimestamp: '2024-01-01T00:00:00Z' },
    spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.9' }] },
    ...extra,
  };
}
