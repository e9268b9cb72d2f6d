/**
 * The versioned cluster config file (`render --config FILE`): read, checked against the field
 * table, flattened into Settings. Unknown fields and wrong types are refused, never ignored: a typo
 * in a config file must not silently render a different cluster.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { parseDocument, isMap, isScalar, isSeq, type Node } from 'yaml';
import { CONFIG_API_VERSION, CONFIG_KIND } from './defaults.js';
import { ConfigError, ConfigFileError } from './errors.js';
import { FIELD_BY_PATH, FIELDS } from './fields.js';
import type { Settings } from './settings.js';

/** Reads and parses a config file; relative paths inside it are taken relative to the file. */
export async function loadConfigFile(path: string): Promise<Settings> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(cause);
    throw new ConfigFileError(`--config ${path}: cannot read the config file (${reason})`, {
      hint: 'give the path of a file made with `bootkube render --print-defaults`',
      cause,
    });
  }
  return parseConfigText(text, basename(path), dirname(resolve(path)));
}

/** Parses config-file text; `label` names the file in errors, `baseDir` anchors relative paths. */
export function parseConfigText(text: string, label: string, baseDir: string): Settings {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    const line = err.linePos?.[0]?.line;
    throw new ConfigFileError(`${label}${line ? ` line ${line}` : ''}: not valid YAML (${err.code})`, {
      hint: 'fix the syntax, or start again from `bootkube render --print-defaults`',
    });
  }
  if (!isMap(doc.contents)) {
    throw new ConfigFileError(`${label}: expected a ${CONFIG_KIND} mapping at the top level`, {
      hint: 'start from `bootkube render --print-defaults`',
    });
  }
  const root = doc.contents;
  const top = doc.toJS() as Record<string, unknown>;
  const apiVersion = top.apiVersion;
  const kind = top.kind;
  if (apiVersion !== CONFIG_API_VERSION) {
    throw new ConfigFileError(
      `${label}: apiVersion ${apiVersion === undefined ? 'is missing' : `"${String(apiVersion)}" is not supported`}`,
      { hint: `this bootkube reads apiVersion: ${CONFIG_API_VERSION}` },
    );
  }
  if (kind !== CONFIG_KIND) {
    throw new ConfigFileError(`${label}: kind ${kind === undefined ? 'is missing' : `"${String(kind)}" is not supported`}`, {
      hint: `set kind: ${CONFIG_KIND}`,
    });
  }
  const settings: Settings = new Map();
  walk(root, '', label, baseDir, settings);
  return settings;
}

function walk(node: Node, prefix: string, label: string, baseDir: string, out: Settings): void {
  if (!isMap(node)) throw new ConfigError(`${prefix} in ${label}`, 'expected a mapping');
  for (const pair of node.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    const path = prefix ? `${prefix}.${key}` : key;
    if (!prefix && (key === 'apiVersion' || key === 'kind')) continue;
    const value = pair.value as Node | null;
    if (value === null || (isScalar(value) && value.value === null)) continue;
    const field = FIELD_BY_PATH.get(path);
    if (!field) {
      if (FIELDS.some((f) => f.path.startsWith(`${path}.`))) {
        walk(value, path, label, baseDir, out);
        continue;
      }
      throw new ConfigFileError(`${label}: unknown field "${path}"`, { hint: suggest(path) });
    }
    const source = `${path} in ${label}`;
    if (field.kind === 'list') {
      if (!isSeq(value) || !value.items.every((i) => isScalar(i) && typeof i.value === 'string')) {
        throw new ConfigError(source, 'expected a list of strings');
      }
      out.set(path, { value: value.items.map((i) => String((i as { value: unknown }).value)), source });
    } else {
      if (!isScalar(value) || typeof value.value !== 'string') throw new ConfigError(source, 'expected a string');
      const text = value.value;
      out.set(path, { value: field.kind === 'path' && text !== '' ? resolve(baseDir, text) : text, source });
    }
  }
}

function suggest(path: string): string {
  const leaf = path.split('.').pop()!.toLowerCase();
  const near = FIELDS.find((f) => f.path.split('.').pop()!.toLowerCase().startsWith(leaf.slice(0, 4)));
  return near ? `did you mean "${near.path}"?` : `known fields: ${FIELDS.map((f) => f.path).join(', ')}`;
}
