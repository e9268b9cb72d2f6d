/**
 * The copies of tls/ files that an asset dir embeds, base64-encoded: in the kubeconfigs of auth/
 * (certificate-authority-data, client-certificate-data, client-key-data) and in the Secrets of
 * manifests/ (one data key per file, and the controller-manager's and scheduler's kubeconfigs
 * nested inside theirs). Each copy can be replaced in place; the rest of the file keeps its bytes.
 */
import { isMap, isSeq, parseAllDocuments, parseDocument, type Document } from 'yaml';
import { SECRET_KEYS, TLS_PATHS } from '../render/constants.js';
import { CertsAssetDirError } from './errors.js';

export type CopyKind = 'certificate' | 'key';

export interface EmbeddedCopy {
  /** The file holding it, relative to the asset dir. */
  file: string;
  /** Where in the file: `users[admin].client-certificate-data`, `data[apiserver.crt]`, … */
  field: string;
  kind: CopyKind;
  pem: string;
  /** The tls/ file this copy is by construction: a Secret's data key names it (SECRET_KEYS ↔ TLS_PATHS). */
  hint?: string;
  /** For a kubeconfig's client key: the field of the client certificate beside it. */
  pairedWith?: string;
}

/** One file with embedded copies; `set` replaces a copy, `text()` gives the file as it now is. */
export interface EmbeddingFile {
  path: string;
  copies: EmbeddedCopy[];
  set(copy: EmbeddedCopy, pem: string): void;
  changed(): boolean;
  text(): string;
}

/** Secret data key → the tls/ path it copies, from the two tables render itself fills Secrets from. */
const SECRET_KEY_SOURCES: ReadonlyMap<string, string> = new Map(
  Object.entries(SECRET_KEYS).flatMap(([prop, key]) => {
    const path = (TLS_PATHS as Record<string, string>)[prop];
    return path ? [[key, path] as const] : [];
  }),
);

const CERT_PEM = /-----BEGIN CERTIFICATE-----/;
const KEY_PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const unb64 = (text: string) => Buffer.from(text, 'base64').toString('utf8');

/** Whether the asset-dir file `path` can embed copies (cheaply, from its path and text). */
export function mayEmbed(path: string, text: string): boolean {
  if (path.startsWith('auth/')) return /^kind: *Config\s*$/m.test(text);
  return /^manifests\/[^/]+\.ya?ml$/.test(path) && /^kind: *Secret\s*$/m.test(text);
}

/** Parses `text` (the file `path`) and finds its embedded copies. */
export function parseEmbeddingFile(path: string, text: string): EmbeddingFile {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs) || docs.some((d) => d.errors.length > 0)) {
    throw new CertsAssetDirError(`${path}: is not valid YAML`, {
      hint: 'render the asset dir again, or fix the file',
    });
  }
  const setters = new Map<EmbeddedCopy, (pem: string) => void>();
  const flushers: Array<() => void> = [];
  let dirty = false;
  const copies: EmbeddedCopy[] = [];
  for (const doc of docs) {
    const kind = doc.get('kind');
    // Fields name the document too when a file holds several, so every field is unique in its file.
    const prefix = docs.length > 1 ? `${String(kind)} ${String(doc.getIn(['metadata', 'name']) ?? '')} ` : '';
    const slots =
      kind === 'Config'
        ? kubeconfigSlots(doc, prefix)
        : kind === 'Secret'
          ? secretSlots(doc, flushers, prefix)
          : [];
    for (const slot of slots) {
      const copy = { file: path, ...slot.copy };
      copies.push(copy);
      setters.set(copy, (pem) => {
        slot.set(pem);
        dirty = true;
      });
    }
  }
  return {
    path,
    copies,
    set(copy, pem) {
      const setter = setters.get(copy);
      if (!setter) throw new Error(`internal: ${copy.file} ${copy.field} is not a copy of ${path}`);
      setter(pem);
    },
    changed: () => dirty,
    text() {
      if (!dirty) return text;
      for (const flush of flushers) flush();
      return docs.map((d) => d.toString({ lineWidth: 0 })).join('');
    },
  };
}

interface Slot {
  copy: Omit<EmbeddedCopy, 'file'>;
  set(pem: string): void;
}

/** The CA and client credentials of every cluster and user of a kubeconfig document. */
function kubeconfigSlots(doc: Document, prefix: string): Slot[] {
  const slots: Slot[] = [];
  const each = (listKey: string, itemKey: string, fields: Array<[string, CopyKind]>) => {
    const list = doc.get(listKey);
    if (!isSeq(list)) return;
    for (const item of list.items) {
      if (!isMap(item)) continue;
      const inner = item.get(itemKey);
      if (!isMap(inner)) continue;
      const at = `${prefix}${listKey}[${String(item.get('name'))}]`;
      for (const [key, kind] of fields) {
        const value = inner.get(key);
        if (typeof value !== 'string') continue;
        const field = `${at}.${key}`;
        const pairedWith = kind === 'key' ? `${at}.client-certificate-data` : undefined;
        slots.push({
          copy: { field, kind, pem: unb64(value), ...(pairedWith ? { pairedWith } : {}) },
          set: (pem) => inner.set(key, b64(pem)),
        });
      }
    }
  };
  each('clusters', 'cluster', [['certificate-authority-data', 'certificate']]);
  each('users', 'user', [
    ['client-certificate-data', 'certificate'],
    ['client-key-data', 'key'],
  ]);
  return slots;
}

/** The certificates and keys of a Secret's data, and those of kubeconfigs nested in it. */
function secretSlots(doc: Document, flushers: Array<() => void>, prefix: string): Slot[] {
  const data = doc.get('data');
  if (!isMap(data)) return [];
  const slots: Slot[] = [];
  for (const pair of data.items) {
    const key = String((pair.key as { value?: unknown })?.value ?? pair.key);
    const value = data.get(key);
    if (typeof value !== 'string') continue;
    const text = unb64(value);
    const field = `${prefix}data[${key}]`;
    const hint = SECRET_KEY_SOURCES.get(key);
    const kind: CopyKind | undefined = CERT_PEM.test(text)
      ? 'certificate'
      : KEY_PEM.test(text)
        ? 'key'
        : undefined;
    if (kind) {
      slots.push({
        copy: { field, kind, pem: text, ...(hint ? { hint } : {}) },
        set: (pem) => data.set(key, b64(pem)),
      });
      continue;
    }
    if (!/^kind: *Config\s*$/m.test(text)) continue;
    const nested = parseDocument(text);
    if (nested.errors.length > 0 || nested.get('kind') !== 'Config') continue;
    let nestedDirty = false;
    for (const slot of kubeconfigSlots(nested, `${field} `)) {
      slots.push({
        copy: slot.copy,
        set: (pem) => {
          slot.set(pem);
          nestedDirty = true;
        },
      });
    }
    flushers.push(() => {
      if (nestedDirty) data.set(key, b64(nested.toString({ lineWidth: 0 })));
    });
  }
  return slots;
}
