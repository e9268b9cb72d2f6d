/**
 * Templates compiled to JSON at build time. Parsing templates/ with `yaml` on a cold start costs
 * ~100 ms of every `bootkube render`, while JSON.parse of the same data is native and takes ~1 ms.
 * Each entry carries the SHA-256 of its template's text, and is used only when the text on disk
 * still has that hash, so an edited template is never served stale from an old build.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { writeFileAtomic } from '../fs/atomic-file.js';

// src/render/ (tsx) and dist/render/ (compiled) both sit two levels below the package root.
export const TEMPLATES_DIR = new URL('../../templates/', import.meta.url);
/** Beside the compiled modules: dist/templates.bundle.json. Running from src/ finds none and parses YAML. */
const BUNDLE_FILE = new URL('../templates.bundle.json', import.meta.url);

interface BundleEntry {
  sha256: string;
  docs: unknown[];
}

let bundle: Map<string, BundleEntry> | undefined;

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The documents of one template's text; a template that does not parse is a bug, named with its path. */
export function parseTemplateText(text: string, relativePath: string): unknown[] {
  const out: unknown[] = [];
  for (const doc of parseAllDocuments(text, { prettyErrors: true })) {
    const problem = doc.errors[0] ?? doc.warnings[0];
    if (problem) throw new Error(`template ${relativePath}: ${problem.message}`);
    if (doc.contents !== null) out.push(doc.toJS());
  }
  return out;
}

/** The parsed documents of a template from the build's bundle, if the bundle holds this exact text. */
export function bundledDocs(relativePath: string, text: string): unknown[] | undefined {
  if (!bundle) {
    try {
      bundle = new Map(Object.entries(JSON.parse(readFileSync(BUNDLE_FILE, 'utf8')) as Record<string, BundleEntry>));
    } catch {
      bundle = new Map();
    }
  }
  const entry = bundle.get(relativePath);
  return entry && entry.sha256 === sha256(text) ? entry.docs : undefined;
}

/** `npm run build`: compiles every template under templates/ into dist/templates.bundle.json. */
export async function writeBundle(): Promise<number> {
  const root = fileURLToPath(TEMPLATES_DIR);
  const entries: Record<string, BundleEntry> = {};
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.ya?ml$/.test(entry.name)) continue;
    const path = relative(root, `${entry.parentPath ?? entry.path}/${entry.name}`);
    const text = readFileSync(`${root}/${path}`, 'utf8');
    entries[path] = { sha256: sha256(text), docs: parseTemplateText(text, path) };
  }
  await writeFileAtomic(fileURLToPath(BUNDLE_FILE), JSON.stringify(entries), 0o644);
  return Object.keys(entries).length;
}
