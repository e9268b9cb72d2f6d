/**
 * Field selectors as kube-apiserver serves them. Two steps, as upstream:
 * 1. parse (apimachinery pkg/fields ParseSelector: `k=v`, `k==v`, `k!=v` joined by commas,
 *    backslash escapes) and pass each label through the kind's field label conversion: a kind
 *    with its own conversion func accepts metadata.name, its selectableFields and — when
 *    namespaced — metadata.namespace, and words a refusal 'field label not supported: x'; a kind
 *    without one (all of apps, every CR without selectableFields) accepts only the two metadata
 *    fields and says so (runtime.DefaultMetaV1FieldSelectorConversion);
 * 2. match against the object's field set (the kind's ToSelectableFields): a field the object
 *    lacks reads '' — or 'false'/'0' for Go bools and ints — so `spec.clusterIP!=None` also
 *    keeps ExternalName services, as the kubelet's informer expects.
 */
import { isObject, valueAt } from '../registry/json.js';
import type { ResourceInfo } from '../registry/types.js';
import { SelectorError } from './errors.js';

export interface FieldRequirement {
  /** The canonical label: what the object's field set is keyed by. */
  field: string;
  operator: '=' | '!=';
  value: string;
}

export interface FieldSelector {
  requirements: FieldRequirement[];
}

/** Labels accepted under another name: events.k8s.io/v1 spellings of the shared Event fields, and pods' spec.host. */
const ALIASES: Record<string, string> = {
  'regarding.kind': 'involvedObject.kind',
  'regarding.namespace': 'involvedObject.namespace',
  'regarding.name': 'involvedObject.name',
  'regarding.uid': 'involvedObject.uid',
  'regarding.apiVersion': 'involvedObject.apiVersion',
  'regarding.resourceVersion': 'involvedObject.resourceVersion',
  'regarding.fieldPath': 'involvedObject.fieldPath',
  reportingController: 'reportingComponent',
  'spec.host': 'spec.nodeName',
};

/** Go bool and int fields: their zero value is what a missing field reads as. */
const ZERO_VALUES: Record<string, string> = {
  'spec.unschedulable': 'false',
  'spec.hostNetwork': 'false',
  'status.replicas': '0',
};

/** Splits on unescaped commas, keeping escapes for the value parser. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && i + 1 < text.length) current += text[i] + text[++i];
    else if (text[i] === ',') {
      terms.push(current);
      current = '';
    } else current += text[i];
  }
  terms.push(current);
  return terms;
}

/** fields.splitTerm: the first position where '!=', '==' or '=' starts. */
function splitTerm(term: string): [string, '=' | '==' | '!=', string] | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of ['!=', '==', '='] as const) {
      if (term.startsWith(op, i)) return [term.slice(0, i), op, term.slice(i + op.length)];
    }
  }
  return undefined;
}

/** fields.UnescapeValue: \\ \, \= are escapes; a bare ',' or '=' is refused (its code point in the message, as Go's %v of a rune). */
function unescapeValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\') {
      const next = value[i + 1];
      if (next === undefined || !'\\,='.includes(next)) {
        throw new SelectorError(`invalid field selector: invalid escape sequence: \\${next ?? ''}`);
      }
      out += next;
      i++;
    } else if (c === ',' || c === '=') {
      throw new SelectorError(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else out += c;
  }
  return out;
}

/** The field label conversion of info's kind: the canonical label, or a SelectorError worded as upstream. */
function convertLabel(label: string, info: ResourceInfo): string {
  const custom = info.selectableFields.length > 0;
  if (!custom) {
    if (label === 'metadata.name' || label === 'metadata.namespace') return label;
    throw new SelectorError(
      `"${label}" is not a known field selector: only "metadata.name", "metadata.namespace"`,
    );
  }
  const accepted =
    label === 'metadata.name' ||
    (label === 'metadata.namespace' && info.namespaced) ||
    info.selectableFields.includes(label) ||
    (label === 'spec.host' && info.group === '' && info.plural === 'pods');
  if (!accepted) throw new SelectorError(`field label not supported: ${label}`);
  return ALIASES[label] ?? label;
}

/** Parses text for info's resource; '' selects everything. Throws SelectorError as kube-apiserver words it. */
export function parseFieldSelector(text: string, info: ResourceInfo): FieldSelector {
  const requirements: FieldRequirement[] = [];
  if (text === '') return { requirements };
  for (const term of splitTerms(text)) {
    const split = splitTerm(term);
    if (!split) throw new SelectorError(`invalid selector: '${text}'; can't understand '${term}'`);
    const [label, op, value] = split;
    requirements.push({
      field: convertLabel(label, info),
      operator: op === '!=' ? '!=' : '=',
      value: unescapeValue(value),
    });
  }
  return { requirements };
}

/** The value of a canonical field label in obj, as the kind's ToSelectableFields computes it. */
export function fieldValue(obj: object, field: string): string {
  if (field === 'source') {
    // core Event strategy: source.component, else the reporting controller; events.k8s.io
    // objects hold the same as deprecatedSource.component / reportingController.
    const source = valueAt(obj, 'source.component') ?? valueAt(obj, 'deprecatedSource.component');
    return (
      stringify(source) ||
      stringify(valueAt(obj, 'reportingComponent') ?? valueAt(obj, 'reportingController'))
    );
  }
  let value = valueAt(obj, field);
  if (value === undefined && field.startsWith('involvedObject.'))
    value = valueAt(obj, `regarding.${field.slice(15)}`);
  if (value === undefined && field === 'reportingComponent') value = valueAt(obj, 'reportingController');
  if (field === 'status.podIP' && value === undefined) {
    const ips = valueAt(obj, 'status.podIPs');
    if (Array.isArray(ips) && isObject(ips[0])) value = ips[0].ip;
  }
  return value === undefined || value === null ? (ZERO_VALUES[field] ?? '') : stringify(value);
}

function stringify(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string'
    ? value
    : typeof value === 'object'
      ? JSON.stringify(value)
      : String(value);
}

/** True when obj satisfies every requirement (its fields read as fieldValue reads them). */
export function matchesFields(sel: FieldSelector, obj: object, _info: ResourceInfo): boolean {
  return sel.requirements.every((r) => (fieldValue(obj, r.field) === r.value) === (r.operator === '='));
}
