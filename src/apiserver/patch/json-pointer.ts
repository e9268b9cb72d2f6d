/**
 * RFC 6901 JSON Pointers as JSON patch uses them: parsing, and finding the container a pointer's
 * last token lives in. Failures throw PointerError; json-patch.ts adds the operation's index.
 */
import { getKey, hasKey, isObject, type Json, type JsonObject } from './json-value.js';

export class PointerError extends Error {}

/** The reference tokens of `pointer`, unescaped; `''` (the whole document) gives `[]`. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PointerError(`path "${pointer}" does not start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => {
      // "~" may only introduce "~0" or "~1"; "~01" means "~1" (RFC 6901 §4: "~1" is decoded first).
      if (/~(?![01])/.test(token))
        throw new PointerError(`path "${pointer}" has a "~" not followed by 0 or 1`);
      return token.replace(/~1/g, '/').replace(/~0/g, '~');
    });
}

/**
 * The array position `token` names. kube-apiserver's JSON patch (evanphx/json-patch v4) also takes
 * negative positions, counted from the end, so this does too. `forAdd` allows one past the end.
 */
export function arrayIndex(token: string, length: number, forAdd: boolean): number {
  if (!/^-?[0-9]+$/.test(token)) throw new PointerError(`"${token}" is not an array index`);
  const size = forAdd ? length + 1 : length;
  let index = Number(token);
  if (index < 0) index += size;
  if (index < 0 || index >= size) {
    throw new PointerError(`index ${token} is out of bounds (the array has ${length} elements)`);
  }
  return index;
}

/** The value at `tokens`, or undefined when the last token names a missing object member. */
export function lookup(doc: Json, tokens: readonly string[]): Json | undefined {
  if (tokens.length === 0) return doc;
  const { parent, key } = locate(doc, tokens);
  return Array.isArray(parent) ? parent[arrayIndex(key, parent.length, false)] : getKey(parent, key);
}

/** The container of the last token, which must exist as an object or array. */
export function locate(doc: Json, tokens: readonly string[]): { parent: JsonObject | Json[]; key: string } {
  let node: Json = doc;
  for (let i = 0; i < tokens.length - 1; i++) {
    const token = tokens[i]!;
    if (Array.isArray(node)) {
      node = node[arrayIndex(token, node.length, false)]!;
    } else if (isObject(node) && hasKey(node, token)) {
      node = node[token]!;
    } else {
      throw new PointerError(`the document has no "${render(tokens.slice(0, i + 1))}"`);
    }
  }
  if (!Array.isArray(node) && !isObject(node)) {
    throw new PointerError(`"${render(tokens.slice(0, -1))}" is not an object or array`);
  }
  return { parent: node, key: tokens[tokens.length - 1]! };
}

/** The pointer for `tokens`, escaped again: for messages. */
export function render(tokens: readonly string[]): string {
  return tokens.map((t) => '/' + t.replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}
