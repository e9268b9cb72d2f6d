/**
 * Events as the controllers and the scheduler record them: core/v1 Events from the
 * controller-manager's recorders (source.component = the controller), events.k8s.io/v1 Events from
 * the scheduler (reportingController default-scheduler). Recording never blocks or fails the
 * caller: an event that cannot be written is dropped, as client-go's broadcaster drops them.
 */
import type { KObj, KubeClient } from '../client/client.js';
import { microTime } from '../leader-election.js';

export interface EventRecorder {
  event(obj: KObj, type: 'Normal' | 'Warning', reason: string, message: string, action?: string): void;
}

function reference(obj: KObj): KObj {
  const m = obj.metadata ?? {};
  return {
    kind: obj.kind,
    namespace: m.namespace,
    name: m.name,
    uid: m.uid,
    apiVersion: obj.apiVersion,
    resourceVersion: m.resourceVersion,
  };
}

// Go names events `<object>.<unix nanos in hex>`; milliseconds with a counter keep them unique here.
let seq = 0;
function eventName(obj: KObj): string {
  const nanos = BigInt(Date.now()) * 1_000_000n + BigInt(seq++ % 1_000_000);
  return `${obj.metadata?.name}.${nanos.toString(16)}`;
}

const seconds = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** core/v1 Events with source.component = `component` (e.g. replicaset-controller). */
export function coreEventRecorder(
  client: KubeClient,
  component: string,
  log?: (line: string) => void,
): EventRecorder {
  return {
    event(obj, type, reason, message) {
      const ns = obj.metadata?.namespace || 'default';
      const now = new Date();
      const body = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: eventName(obj), namespace: ns },
        involvedObject: reference(obj),
        reason,
        message,
        source: { component },
        firstTimestamp: seconds(now),
        lastTimestamp: seconds(now),
        count: 1,
        type,
        eventTime: null,
        reportingComponent: component,
        reportingInstance: '',
      };
      client
        .create(`/api/v1/namespaces/${ns}/events`, body)
        .catch((err: Error) => log?.(`event ${reason} dropped: ${err.message}`));
    },
  };
}

/** events.k8s.io/v1 Events, as the scheduler writes them. */
export function eventsV1Recorder(
  client: KubeClient,
  controller: string,
  instance: string,
  log?: (line: string) => void,
): EventRecorder {
  return {
    event(obj, type, reason, note, action = reason) {
      const ns = obj.metadata?.namespace || 'default';
      const body = {
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { name: eventName(obj), namespace: ns },
        eventTime: microTime(performance.timeOrigin + performance.now()),
        reportingController: controller,
        reportingInstance: instance,
        action,
        reason,
        regarding: reference(obj),
        note,
        type,
      };
      client
        .create(`/apis/events.k8s.io/v1/namespaces/${ns}/events`, body)
        .catch((err: Error) => log?.(`event ${reason} dropped: ${err.message}`));
    },
  };
}
