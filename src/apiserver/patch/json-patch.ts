/**
 * JSON patch (RFC 6902) as kube-apiserver applies it with gopkg.in/evanphx/json-patch.v4.
 *
 * Where v4 departs from the RFC in a way clients can rely on, this follows v4:
 * - a `null` body is a patch with no operations;
 * - negative array positions count from the end (`/spec/containers/-1`);
 * - `replace` of a missing object member adds it (v4's object lookup never fails);
 * - `test` with value `null` (or no value) succeeds on a missing member as well as on a null one.
 * Where v4 would store something a Go decoder then silently turns into a zero value, this refuses:
 * `add`/`replace` without `value`, `copy` from a missing member, pointers without a leading "/" (v4
 * reads "a/b" as "/b"). Those are 422s here.
 */
import { badRequest, invalid, testFailed, tooLarge } from './errors.js';
import { arrayIndex, locate, lookup, parsePointer, PointerError, render } from './json-pointer.js';
import {
  brief,
  deepCopy,
  deleteKey,
  getKey,
  hasKey,
  isObject,
  jsonEqual,
  jsonType,
  setKey,
} from './json-value.js';
import type { Json, JsonObject } from './json-value.js';

/** kube-apiserver's limit (`maxJSONPatchOperations`); more is 413. */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

/** An operation failed; `test` marks the failures of a `test` operation's comparison. */
class OperationError extends Error {
  constructor(
    message: string,
    readonly test = false,
  ) {
    super(message);
  }
}

/** Applies the operations in order to `doc`, which the caller has already copied (it is modified). */
export function applyJsonPatch(doc: Json, patch: unknown): Json {
  if (patch === null) return doc;
  const hint = 'send an array of operations such as [{"op":"replace","path":"/spec/replicas","value":2}]';
  if (!Array.isArray(patch))
    throw badRequest(`a JSON patch must be an array, not ${jsonType(patch as Json)}`, hint);
  patch.forEach((op: unknown, i) => {
    if (op !== null && !isObject(op)) {
      throw badRequest(`JSON patch operation ${i} must be an object, not ${jsonType(op as Json)}`, hint);
    }
  });
  if (patch.length > MAX_JSON_PATCH_OPERATIONS) {
    throw tooLarge(
      `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${patch.length}`,
    );
  }
  let current = doc;
  (patch as (JsonObject | null)[]).forEach((raw, i) => {
    const op = raw ?? {};
    try {
      current = applyOperation(current, op);
    } catch (e) {
      if (!(e instanceof OperationError || e instanceof PointerError)) throw e;
      const where = `JSON patch operation ${i} (${describe(op)})`;
      throw e instanceof OperationError && e.test
        ? testFailed(`${where}: ${e.message}`)
        : invalid(`${where}: ${e.message}`);
    }
  });
  return current;
}

function applyOperation(doc: Json, op: JsonObject): Json {
  const kind = getKey(op, 'op');
  switch (kind) {
    case 'add':
      return add(doc, pointer(op, 'path'), value(op));
    case 'remove':
      return remove(doc, pointer(op, 'path'));
    case 'replace':
      return replace(doc, pointer(op, 'path'), value(op));
    case 'move': {
      const from = pointer(op, 'from');
      const to = pointer(op, 'path');
      if (from.length < to.length && from.every((t, i) => t === to[i])) {
        throw new OperationError(`cannot move "${render(from)}" into itself`);
      }
      const moved = existing(doc, from);
      return add(remove(doc, from), to, moved);
    }
    case 'copy': {
      const copied = deepCopy(existing(doc, pointer(op, 'from')));
      return add(doc, pointer(op, 'path'), copied);
    }
    case 'test':
      test(doc, pointer(op, 'path'), getKey(op, 'value') ?? null);
      return doc;
    default:
      throw new OperationError(`unknown op ${brief(kind)}: use add, remove, replace, move, copy or test`);
  }
}

function add(doc: Json, tokens: string[], val: Json): Json {
  if (tokens.length === 0) return val;
  const { parent, key } = locate(doc, tokens);
  if (Array.isArray(parent)) {
    parent.splice(key === '-' ? parent.length : arrayIndex(key, parent.length, true), 0, val);
  } else {
    setKey(parent, key, val);
  }
  return doc;
}

function remove(doc: Json, tokens: string[]): Json {
  if (tokens.length === 0) throw new OperationError('cannot remove the whole document');
  const { parent, key } = locate(doc, tokens);
  if (Array.isArray(parent)) {
    parent.splice(arrayIndex(key, parent.length, false), 1);
  } else if (hasKey(parent, key)) {
    deleteKey(parent, key);
  } else {
    throw new OperationError(`cannot remove "${render(tokens)}": it does not exist`);
  }
  return doc;
}

function replace(doc: Json, tokens: string[], val: Json): Json {
  if (tokens.length === 0) {
    if (!isObject(val) && !Array.isArray(val))
      throw new OperationError('the whole document must be replaced by an object');
    return val;
  }
  const { parent, key } = locate(doc, tokens);
  if (Array.isArray(parent)) parent[arrayIndex(key, parent.length, false)] = val;
  else setKey(parent, key, val);
  return doc;
}

function test(doc: Json, tokens: string[], expected: Json): void {
  const actual = lookup(doc, tokens);
  if (expected === null && (actual === undefined || actual === null)) return;
  if (actual === undefined)
    throw new OperationError(`testing "${render(tokens)}" failed: it does not exist`, true);
  // The actual value stays out of the message: a client allowed to patch may not be allowed to read.
  if (!jsonEqual(actual, expected))
    throw new OperationError(`testing "${render(tokens)}" failed: the value differs`, true);
}

/** The value at `tokens`, which must exist. */
function existing(doc: Json, tokens: string[]): Json {
  const found = lookup(doc, tokens);
  if (found === undefined) throw new OperationError(`"${render(tokens)}" does not exist`);
  return found;
}

function pointer(op: JsonObject, field: 'path' | 'from'): string[] {
  const text = getKey(op, field);
  if (typeof text !== 'string')
    throw new OperationError(`"${field}" must be a string, not ${jsonType(text)}`);
  return parsePointer(text);
}

/** The operation's `value`, copied so the result never shares structure with the caller's patch. */
function value(op: JsonObject): Json {
  if (!hasKey(op, 'value')) throw new OperationError('"value" is missing');
  return deepCopy(op.value);
}

function describe(op: JsonObject): string {
  const kind = getKey(op, 'op');
  const path = getKey(op, 'path');
  return `${typeof kind === 'string' ? kind : brief(kind)} ${typeof path === 'string' ? path : brief(path)}`;
}
