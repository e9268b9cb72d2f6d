/**
 * The kubelet's event recorder (client-go tools/record, reference §1.8): core/v1 Events, named
 * `<object>.<hex nanoseconds>`, in the object's namespace or `default` for the Node; a repeat of
 * the same event is a strategic merge patch of count, lastTimestamp and message on the first one
 * (falling back to a POST when that is gone); a spam filter per object (burst 25, one token per 5
 * minutes). Events go out one at a time, as the broadcaster's single sink goroutine sends them.
 * An error answer drops the event ("will not retry"); a transport error retries up to 12 times,
 * 10 s apart.
 */
import { SMP_TYPE, type ApiClient } from './api-client.js';
import { rfc3339, type Clock } from './clock.js';

export interface ObjectRef {
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

interface Seen {
  name: string;
  count: number;
  firstTimestamp: string;
}

const BURST = 25;
const REFILL_MS = 300_000;
const MAX_TRIES = 12;
const RETRY_MS = 10_000;

export class EventRecorder {
  private queue: Promise<void> = Promise.resolve();
  private readonly seen = new Map<string, Seen>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private seq = 0;
  private stopped = false;
  /** Cuts a retry's wait short on stop(): a stopped kubelet must not keep its process alive. */
  private readonly halt = new AbortController();

  constructor(
    private readonly client: ApiClient,
    private readonly clock: Clock,
    private readonly nodeName: string,
    /** Also told every event, sent or not (the simulation's --json stream). */
    private readonly observe?: (e: {
      type: string;
      reason: string;
      message: string;
      object: ObjectRef;
    }) => void,
  ) {}

  /** Records an event; returns at once (delivery is asynchronous, in order). */
  event(object: ObjectRef, type: 'Normal' | 'Warning', reason: string, message: string): void {
    if (this.stopped) return;
    this.observe?.({ type, reason, message, object });
    if (!this.allow(object)) return;
    const now = this.clock.now();
    const key = [
      object.kind,
      object.namespace,
      object.name,
      object.uid,
      object.fieldPath,
      type,
      reason,
      message,
    ].join('\u0000');
    const prior = this.seen.get(key);
    const ts = rfc3339(now);
    const namespace = object.namespace || 'default';
    if (prior) {
      prior.count++;
      const count = prior.count;
      this.enqueue(async () => {
        const r = await this.send(
          'PATCH',
          `/api/v1/namespaces/${namespace}/events/${prior.name}`,
          { count, lastTimestamp: ts, message },
          SMP_TYPE,
        );
        if (r === 404)
          await this.send(
            'POST',
            `/api/v1/namespaces/${namespace}/events`,
            this.body(prior.name, namespace, object, type, reason, message, prior.firstTimestamp, ts, count),
          );
      });
      return;
    }
    const nanos = BigInt(now) * 1_000_000n + BigInt(this.seq++ % 1_000_000);
    const name = `${object.name}.${nanos.toString(16)}`;
    this.seen.set(key, { name, count: 1, firstTimestamp: ts });
    this.enqueue(() =>
      this.send(
        'POST',
        `/api/v1/namespaces/${namespace}/events`,
        this.body(name, namespace, object, type, reason, message, ts, ts, 1),
      ).then(() => undefined),
    );
  }

  /** Stops sending; what is queued is dropped. */
  stop(): void {
    this.stopped = true;
    this.halt.abort();
  }

  /** Resolves once everything recorded so far has been sent or dropped. */
  flush(): Promise<void> {
    return this.queue;
  }

  private allow(object: ObjectRef): boolean {
    const key = `${object.kind}/${object.namespace ?? ''}/${object.name}/${object.uid ?? ''}`;
    const now = this.clock.now();
    const b = this.buckets.get(key) ?? { tokens: BURST, at: now };
    b.tokens = Math.min(BURST, b.tokens + this.clock.since(b.at) / REFILL_MS);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private body(
    name: string,
    namespace: string,
    object: ObjectRef,
    type: string,
    reason: string,
    message: string,
    first: string,
    last: string,
    count: number,
  ): object {
    return {
      kind: 'Event',
      apiVersion: 'v1',
      metadata: { name, namespace },
      involvedObject: object,
      reason,
      message,
      source: { component: 'kubelet', host: this.nodeName },
      firstTimestamp: first,
      lastTimestamp: last,
      count,
      type,
      eventTime: null,
      reportingComponent: 'kubelet',
      reportingInstance: this.nodeName,
    };
  }

  private enqueue(fn: () => Promise<void>): void {
    this.queue = this.queue.then(fn).catch(() => undefined);
  }

  private async send(method: string, path: string, body: object, contentType?: string): Promise<number> {
    for (let i = 0; i < MAX_TRIES && !this.stopped; i++) {
      const r = await this.client.request('event', method, path, { body, contentType });
      if (r.status !== 0) return r.status;
      await this.clock.sleep(RETRY_MS, this.halt.signal).catch(() => undefined);
    }
    return 0;
  }
}

/** The Node's reference as the kubelet makes it: its UID is the node name (kl.nodeRef). */
export function nodeRef(nodeName: string): ObjectRef {
  return { kind: 'Node', name: nodeName, uid: nodeName };
}

/** A container's reference: the pod's, with the container's field path. */
export function containerRef(
  pod: Record<string, any>,
  containerName: string | undefined,
  init = false,
): ObjectRef {
  const m = pod.metadata ?? {};
  const ref: ObjectRef = { kind: 'Pod', namespace: m.namespace, name: m.name, uid: m.uid, apiVersion: 'v1' };
  if (m.resourceVersion) ref.resourceVersion = m.resourceVersion;
  if (containerName) ref.fieldPath = `spec.${init ? 'initContainers' : 'containers'}{${containerName}}`;
  return ref;
}
