/**
 * Between the served and the stored form of a resource whose storage version differs from the
 * one served (ResourceInfo.storageApiVersion):
 * - events.k8s.io/v1 Events are core v1 Events in etcd (k/k:test/integration/etcd/data.go,
 *   ExpectedGVK), field names mapped as k/k:pkg/apis/events/v1/conversion.go maps them;
 * - a custom resource's other served versions are its storage version in etcd; with the
 *   CRD conversion strategy None only apiVersion changes.
 */
import { clone } from './json.js';
import type { JsonObject, ResourceInfo } from './types.js';

/** events.k8s.io/v1 field → core v1 field; the rest (reason, type, action, series, …) are the same. */
const EVENT_FIELDS: [string, string][] = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
  ['reportingController', 'reportingComponent'],
];

function servedApiVersion(info: ResourceInfo): string {
  return info.group ? `${info.group}/${info.version}` : info.version;
}

function isEventsV1(info: ResourceInfo): boolean {
  return info.group === 'events.k8s.io' && info.kind === 'Event';
}

function rename(object: JsonObject, pairs: [string, string][]): JsonObject {
  const out: JsonObject = {};
  const map = new Map(pairs);
  for (const [key, value] of Object.entries(object)) out[map.get(key) ?? key] = value;
  return out;
}

/** The object as written to etcd for info (a deep copy; the same shape when nothing differs). */
export function toStorage(info: ResourceInfo, obj: object): object {
  const object = clone(obj) as JsonObject;
  if (!info.storageApiVersion) return object;
  if (isEventsV1(info))
    return { ...rename(object, EVENT_FIELDS), apiVersion: info.storageApiVersion, kind: 'Event' };
  return { ...object, apiVersion: info.storageApiVersion };
}

/** The object as info serves it, from what etcd holds (a deep copy). */
export function fromStorage(info: ResourceInfo, obj: object): object {
  const object = clone(obj) as JsonObject;
  const served = servedApiVersion(info);
  if (object.apiVersion === served) return object;
  if (isEventsV1(info)) {
    const back = EVENT_FIELDS.map(([v1, core]) => [core, v1] as [string, string]);
    return { ...rename(object, back), apiVersion: served, kind: info.kind };
  }
  return { ...object, apiVersion: served };
}
