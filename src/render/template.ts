/**
 * The template language of `templates/`: YAML parsed once, then filled *as data* (DESIGN.md §2).
 * A value is never pasted into YAML text, so one holding `: `, `#` or newlines stays one scalar.
 *
 * - A string that is exactly `${a.b}` becomes the value at `a.b` (any JSON-like type).
 * - `${a.b}` inside a longer string (or a mapping key) is interpolated; the value must be a
 *   string, number or boolean. `$${` writes a literal `${`.
 * - A sequence item that is exactly `${...a.b}` is replaced by the items of the array at `a.b`.
 * - A mapping with `$if: path` or `$unless: path` is a conditional. In a sequence,
 *   `{ $if, $items: [...] }` splices the items and `{ $if, k: v, ... }` keeps the mapping without
 *   `$if`; as a mapping value, `key: { $if, $value: V }` sets or omits the key; a whole document
 *   with a top-level `$if` is dropped (fillTemplate returns undefined). Empty arrays, '', 0,
 *   false and null are false.
 * - Placeholders cannot appear in flow collections (`[${a}]`): YAML reads `{` there as syntax.
 * An unknown path is a bug in a template, reported with the file, the place and the path.
 */
import { readFileSync } from 'node:fs';
import { Document, visit } from 'yaml';
import { TEMPLATES_DIR, bundledDocs, parseTemplateText } from './template-bundle.js';

const EXACT = /^\$\{([^{}]*)\}$/;
const SPREAD = /^\$\{\.\.\.([^{}]*)\}$/;
const EMBEDDED = /\$\$\{|\$\{([^{}]*)\}/g;
const PATH = /^[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*$/;
const CONDITIONAL_KEYS = new Set(['$if', '$unless', '$items', '$value']);

interface Context {
  values: object;
  source: string;
}

type Conditional =
  | { keep: false }
  | { keep: true; items: unknown[] }
  | { keep: true; value: unknown }
  | { keep: true; mapping: Record<string, unknown> };

function fail(ctx: Context, where: string, problem: string): never {
  throw new Error(`template ${ctx.source}: at ${where || '(document)'}: ${problem}`);
}

function isMapping(node: unknown): node is Record<string, unknown> {
  return typeof node === 'object' && node !== null && !Array.isArray(node);
}

/** A copy of `value` that is plain data (so stringify never emits aliases or class instances). */
function cloneData(value: unknown, ctx: Context, where: string, path: string): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (Array.isArray(value)) return value.map((v) => cloneData(v, ctx, where, path));
  if (isMapping(value) && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cloneData(v, ctx, where, path)]));
  }
  return fail(ctx, where, `value "${path}" is not plain data (${Object.prototype.toString.call(value)})`);
}

function lookup(ctx: Context, where: string, path: string): unknown {
  if (!PATH.test(path)) fail(ctx, where, `malformed value path "${path}"`);
  let node: unknown = ctx.values;
  for (const part of path.split('.')) {
    if (!isMapping(node) || !Object.hasOwn(node, part) || node[part] === undefined) {
      fail(ctx, where, `unknown value path "${path}"`);
    }
    node = node[part];
  }
  return node;
}

function fillString(text: string, ctx: Context, where: string): unknown {
  const exact = EXACT.exec(text);
  if (exact) {
    if (exact[1].startsWith('...')) fail(ctx, where, `"${text}" is only allowed as a sequence item`);
    return cloneData(lookup(ctx, where, exact[1]), ctx, where, exact[1]);
  }
  return interpolate(text, ctx, where);
}

function interpolate(text: string, ctx: Context, where: string): string {
  return text.replace(EMBEDDED, (match, path: string | undefined) => {
    if (path === undefined) return '${'; // the `$${` escape
    const value = lookup(ctx, where, path);
    if (typeof value === 'string' || typeof value === 'boolean') return String(value);
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    return fail(ctx, where, `"${match}" inside a string needs a string, number or boolean`);
  });
}

function truthy(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 : Boolean(value);
}

/** Undefined when `node` is not a conditional mapping; else what it turns into. */
function conditional(node: unknown, ctx: Context, where: string): Conditional | undefined {
  if (!isMapping(node)) return undefined;
  const keys = Object.keys(node);
  const hasIf = Object.hasOwn(node, '$if');
  const hasUnless = Object.hasOwn(node, '$unless');
  if (!hasIf && !hasUnless) {
    const stray = keys.find((k) => CONDITIONAL_KEYS.has(k));
    if (stray) fail(ctx, where, `"${stray}" needs "$if" or "$unless" beside it`);
    return undefined;
  }
  if (hasIf && hasUnless) fail(ctx, where, 'a mapping cannot have both "$if" and "$unless"');
  const test = hasIf ? node.$if : node.$unless;
  if (typeof test !== 'string') fail(ctx, where, '"$if"/"$unless" takes a value path');
  const rest = Object.fromEntries(Object.entries(node).filter(([k]) => k !== '$if' && k !== '$unless'));
  const special = Object.keys(rest).filter((k) => k === '$items' || k === '$value');
  if (special.length > 0 && Object.keys(rest).length > 1) {
    fail(ctx, where, `"${special[0]}" cannot have sibling keys other than "$if"/"$unless"`);
  }
  if (truthy(lookup(ctx, where, test)) !== hasIf) return { keep: false };
  if (Object.hasOwn(rest, '$items')) {
    if (!Array.isArray(rest.$items)) fail(ctx, where, '"$items" must be a sequence');
    return { keep: true, items: rest.$items };
  }
  if (Object.hasOwn(rest, '$value')) return { keep: true, value: rest.$value };
  return { keep: true, mapping: rest };
}

function fillSequence(items: readonly unknown[], ctx: Context, where: string): unknown[] {
  const out: unknown[] = [];
  items.forEach((item, i) => {
    const at = `${where}[${i}]`;
    const spread = typeof item === 'string' ? SPREAD.exec(item) : null;
    if (spread) {
      const value = lookup(ctx, at, spread[1]);
      if (!Array.isArray(value)) fail(ctx, at, `"${item}" needs an array`);
      out.push(...value.map((v) => cloneData(v, ctx, at, spread[1])));
      return;
    }
    const cond = conditional(item, ctx, at);
    if (!cond) out.push(fillNode(item, ctx, at));
    else if (!cond.keep) return;
    else if ('items' in cond) out.push(...fillSequence(cond.items, ctx, at));
    else if ('value' in cond) out.push(fillNode(cond.value, ctx, at));
    else out.push(fillMapping(cond.mapping, ctx, at));
  });
  return out;
}

function fillMapping(node: Record<string, unknown>, ctx: Context, where: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [rawKey, value] of Object.entries(node)) {
    const key = interpolate(rawKey, ctx, where);
    const at = where ? `${where}.${key}` : key;
    if (Object.hasOwn(out, key)) fail(ctx, at, `duplicate key "${key}"`);
    if (typeof value === 'string' && SPREAD.test(value)) {
      fail(ctx, at, `"${value}" is only allowed as a sequence item`);
    }
    const cond = conditional(value, ctx, at);
    if (!cond) out[key] = fillNode(value, ctx, at);
    else if (!cond.keep) continue;
    else if ('items' in cond) fail(ctx, at, '"$items" is only allowed in a sequence');
    else if ('value' in cond) out[key] = fillNode(cond.value, ctx, at);
    else out[key] = fillMapping(cond.mapping, ctx, at);
  }
  return out;
}

function fillNode(node: unknown, ctx: Context, where: string): unknown {
  if (typeof node === 'string') return fillString(node, ctx, where);
  if (Array.isArray(node)) return fillSequence(node, ctx, where);
  if (isMapping(node)) {
    const cond = conditional(node, ctx, where);
    if (cond) fail(ctx, where, 'a conditional must be a sequence item, a mapping value or a document');
    return fillMapping(node, ctx, where);
  }
  return node;
}

/**
 * Fills one parsed template document with `values`; `source` names the template in errors.
 * Returns undefined when the document carries a top-level `$if`/`$unless` that is false.
 */
export function fillTemplate(doc: unknown, values: object, source: string): unknown {
  const ctx: Context = { values, source };
  const cond = conditional(doc, ctx, '');
  if (!cond) return fillNode(doc, ctx, '');
  if (!cond.keep) return undefined;
  if ('items' in cond) return fail(ctx, '', '"$items" is only allowed in a sequence');
  if ('value' in cond) return fillNode(cond.value, ctx, '');
  return fillMapping(cond.mapping, ctx, '');
}

const cache = new Map<string, readonly unknown[]>();

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

/** The documents of `templates/<relativePath>`, parsed once and cached (frozen: fill never mutates). */
export function loadTemplate(relativePath: string): readonly unknown[] {
  const cached = cache.get(relativePath);
  if (cached) return cached;
  if (relativePath.startsWith('/') || relativePath.split('/').includes('..')) {
    throw new Error(`template path must stay inside templates/: ${relativePath}`);
  }
  const text = readFileSync(new URL(relativePath, TEMPLATES_DIR), 'utf8');
  const out = bundledDocs(relativePath, text) ?? parseTemplateText(text, relativePath);
  const frozen = deepFreeze(out);
  cache.set(relativePath, frozen);
  return frozen;
}

/** Loads and fills every document of a template; dropped documents are left out. */
export function renderTemplate(relativePath: string, values: object): unknown[] {
  return loadTemplate(relativePath)
    .map((doc) => fillTemplate(doc, values, relativePath))
    .filter((doc) => doc !== undefined);
}

/**
 * Plain scalars that some YAML reader takes for something other than a string: YAML 1.2 core
 * (JavaScript clients) or YAML 1.1 (Go's sigs.k8s.io/yaml, i.e. kubectl and the apiserver): null,
 * booleans incl. yes/no/on/off/y/n, ints incl. octal, binary, hex, `1_000` and sexagesimal `1:20`,
 * floats incl. exponents, .inf/.nan, timestamps. Strings like these are always written quoted.
 */
export const AMBIGUOUS_PLAIN = new RegExp(
  '^(?:' +
    [
      '~|null|Null|NULL',
      'true|True|TRUE|false|False|FALSE|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF',
      '[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])*(?:\\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?',
      '[-+]?\\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?',
      '[-+]?0b[01_]+|[-+]?0o[0-7_]+|[-+]?0x[0-9a-fA-F_]+',
      '[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN)',
      '[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ].*)?',
    ].join('|') +
    ')$',
);

/** YAML text of the documents, separated by `---`, readable alike by YAML 1.1 and 1.2 parsers. */
export function toYaml(docs: readonly unknown[]): string {
  return docs
    .map((value) => {
      const doc = new Document(value, { version: '1.1', aliasDuplicateObjects: false });
      visit(doc, {
        Scalar(_key, node) {
          if (typeof node.value === 'string' && AMBIGUOUS_PLAIN.test(node.value)) node.type = 'QUOTE_DOUBLE';
        },
      });
      return doc.toString({ lineWidth: 0 });
    })
    .join('---\n');
}
