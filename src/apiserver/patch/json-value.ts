/**
 * JSON values as the patch code handles them, and the only ways it reads and writes object members.
 *
 * Patches come from clients, so a key may be `__proto__` or `constructor`. A plain `obj[key]` read
 * of an absent `__proto__` returns Object.prototype, and a plain write to it replaces the object's
 * prototype: both would let a patch reach shared state. Every member access here therefore checks
 * for an own property, and every write defines one, so such keys stay ordinary data.
 */

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

/** A JSON object: not null, not an array. */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function hasKey(obj: JsonObject, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** The member `key`, or undefined when the object has no such own member. */
export function getKey(obj: JsonObject, key: string): Json | undefined {
  return hasKey(obj, key) ? obj[key] : undefined;
}

/** Sets an own, enumerable member; a `__proto__` key becomes data, not the prototype. */
export function setKey(obj: JsonObject, key: string, value: Json): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

export function deleteKey(obj: JsonObject, key: string): void {
  if (hasKey(obj, key)) delete obj[key];
}

/**
 * A deep copy made only of own enumerable data: what JSON.stringify would keep. `undefined`
 * members are dropped (as JSON.stringify does), so callers may pass objects built in code.
 */
export function deepCopy(value: unknown): Json {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : deepCopy(v)));
  if (isObject(value)) {
    const out: JsonObject = {};
    for (const key of Object.keys(value)) {
      const v: unknown = value[key];
      if (v !== undefined) setKey(out, key, deepCopy(v));
    }
    return out;
  }
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  throw new TypeError(`not a JSON value: ${typeof value}`);
}

/** Structural equality; numbers compare by value (RFC 6902 §4.6). */
export function jsonEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => hasKey(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/** The JSON type of a value, for messages and type comparisons. */
export function jsonType(
  value: Json | undefined,
): 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null' {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value as 'object' | 'string' | 'number' | 'boolean';
}

/** A short rendering of a value for error messages. */
export function brief(value: Json | undefined): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
