/**
 * The JSON text of a cached object, made once and shared: every watcher an event goes to and every
 * list that returns the object write the same bytes (the cacher's cachingObject does the same for
 * kube-apiserver). Only for objects nobody mutates: those of the watch cache.
 */
const texts = new WeakMap<object, string>();

/** JSON.stringify(object), computed once per object. */
export function jsonOf(object: object): string {
  let text = texts.get(object);
  if (text === undefined) {
    text = JSON.stringify(object);
    texts.set(object, text);
  }
  return text;
}
