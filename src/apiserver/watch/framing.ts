/**
 * Watch event framing (apiserver pkg/endpoints/handlers/watch.go with the JSON serializer): one
 * `{"type":…,"object":…}` per line. client-go's decoder does not need the newline; the JavaScript
 * client reads lines (kubernetes-client/javascript src/watch.ts), so every event ends with one.
 */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** One framed event. */
export function frameEvent(type: WatchEventType, object: unknown): string {
  return `${JSON.stringify({ type, object })}\n`;
}

/** The object of a BOOKMARK: the watched kind with only a resourceVersion (reflector.go reads just that). */
export function bookmarkObject(
  apiVersion: string,
  kind: string,
  resourceVersion: string,
): Record<string, unknown> {
  return { kind, apiVersion, metadata: { resourceVersion, creationTimestamp: null } };
}
