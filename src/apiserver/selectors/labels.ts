/**
 * Label selectors in kube-apiserver's grammar (apimachinery pkg/labels/selector.go Parse):
 * `a=b`, `a==b`, `a!=b`, `a in (b,c)`, `a notin (b,c)`, `a`, `!a`, and `a>1`/`a<1` on integers,
 * joined by commas; all requirements must hold. Keys are qualified names, values label values.
 */
import { labelValue, qualifiedName } from '../registry/validation/names.js';
import { SelectorError } from './errors.js';

export type LabelOperator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

export interface LabelSelector {
  requirements: LabelRequirement[];
}

// Lexer: identifiers run until whitespace or one of these; operators are read greedily.
const SPECIAL = new Set(['!', '=', '>', '<', '(', ')', ',']);

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) i++;
    else if (c === '=' || c === '!') {
      const two = text.slice(i, i + 2);
      const op = two === '==' || two === '!=' ? two : c;
      tokens.push(op);
      i += op.length;
    } else if (SPECIAL.has(c)) {
      tokens.push(c);
      i++;
    } else {
      let j = i;
      while (j < text.length && !/\s/.test(text[j]) && !SPECIAL.has(text[j])) j++;
      tokens.push(text.slice(i, j));
      i = j;
    }
  }
  return tokens;
}

function isIdentifier(token: string | undefined): token is string {
  return token !== undefined && !SPECIAL.has(token[0]);
}

/** Parses a label selector; '' selects everything. Throws SelectorError with the position's problem. */
export function parseLabelSelector(text: string): LabelSelector {
  const tokens = tokenize(text);
  const requirements: LabelRequirement[] = [];
  let pos = 0;
  const fail = (message: string): never => {
    throw new SelectorError(`unable to parse requirement: ${message}`, {
      hint: `in label selector ${JSON.stringify(text)}`,
    });
  };
  const expectValue = (token: string | undefined): string => {
    if (token === undefined || token === ',' || token === ')') return '';
    if (!isIdentifier(token)) fail(`found '${token}', expected: identifier`);
    return token;
  };
  while (pos < tokens.length) {
    let negated = false;
    if (tokens[pos] === '!') {
      negated = true;
      pos++;
    }
    const key = tokens[pos++];
    if (!isIdentifier(key)) fail(`found '${key ?? ''}', expected: identifier`);
    checkKey(key);
    const next = tokens[pos];
    let requirement: LabelRequirement;
    if (negated) {
      if (next !== undefined && next !== ',') fail(`found '${next}', expected: ',' or 'end of string'`);
      requirement = { key, operator: '!', values: [] };
    } else if (next === undefined || next === ',') {
      requirement = { key, operator: 'exists', values: [] };
    } else if (next === '=' || next === '==' || next === '!=') {
      pos++;
      const value = expectValue(tokens[pos]);
      if (value !== '') pos++;
      requirement = { key, operator: next, values: [value] };
    } else if (next === '>' || next === '<') {
      pos++;
      const value = tokens[pos++];
      if (!isIdentifier(value) || !/^-?\d+$/.test(value))
        fail(`for 'Gt', 'Lt' operators, the value must be an integer`);
      requirement = { key, operator: next === '>' ? 'gt' : 'lt', values: [value] };
    } else if (next === 'in' || next === 'notin') {
      pos++;
      if (tokens[pos++] !== '(') fail(`found '${tokens[pos - 1] ?? ''}', expected: '('`);
      const values: string[] = [];
      while (tokens[pos] !== ')') {
        const value = expectValue(tokens[pos]);
        if (value !== '') pos++;
        values.push(value);
        if (tokens[pos] === ',') pos++;
        else if (tokens[pos] !== ')') fail(`found '${tokens[pos] ?? ''}', expected: ',', ')' or identifier`);
      }
      pos++;
      if (values.length === 0) fail(`for 'in', 'notin' operators, values set can't be empty`);
      requirement = { key, operator: next, values };
    } else {
      return fail(`found '${next}', expected: in, notin, =, ==, !=, gt, lt`);
    }
    for (const value of requirement.values) {
      if (requirement.operator === 'gt' || requirement.operator === 'lt') continue;
      const problems = labelValue(value);
      if (problems.length > 0)
        fail(`values[0][${key}]: Invalid value: ${JSON.stringify(value)}: ${problems.join('; ')}`);
    }
    requirements.push(requirement);
    if (pos < tokens.length) {
      if (tokens[pos] !== ',') fail(`found '${tokens[pos]}', expected: ',' or 'end of string'`);
      pos++;
      if (pos >= tokens.length) fail(`found '', expected: identifier after ','`);
    }
  }
  return { requirements };
}

function checkKey(key: string): void {
  const problems = qualifiedName(key);
  if (problems.length > 0) {
    throw new SelectorError(
      `unable to parse requirement: key: Invalid value: ${JSON.stringify(key)}: ${problems.join('; ')}`,
    );
  }
}

/** True when labels satisfy every requirement (a missing label fails =, in, exists and passes !=, notin, !). */
export function matchesLabels(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  return sel.requirements.every((r) => {
    const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key);
    const value = has ? labels![r.key] : undefined;
    switch (r.operator) {
      case '=':
      case '==':
      case 'in':
        return has && r.values.includes(value!);
      case '!=':
      case 'notin':
        return !has || !r.values.includes(value!);
      case 'exists':
        return has;
      case '!':
        return !has;
      case 'gt':
      case 'lt': {
        if (!has || !/^-?\d+$/.test(value!)) return false;
        const diff = BigInt(value!) - BigInt(r.values[0]);
        return r.operator === 'gt' ? diff > 0n : diff < 0n;
      }
    }
  });
}

/** A metav1.LabelSelector object (matchLabels, matchExpressions) as a LabelSelector; null selects nothing. */
export function labelSelectorFromObject(selector: unknown): LabelSelector | null {
  if (typeof selector !== 'object' || selector === null) return null;
  const { matchLabels, matchExpressions } = selector as {
    matchLabels?: Record<string, string>;
    matchExpressions?: { key: string; operator: string; values?: string[] }[];
  };
  const requirements: LabelRequirement[] = Object.entries(matchLabels ?? {}).map(([key, value]) => ({
    key,
    operator: '=',
    values: [String(value)],
  }));
  const operators: Record<string, LabelOperator> = {
    In: 'in',
    NotIn: 'notin',
    Exists: 'exists',
    DoesNotExist: '!',
  };
  for (const e of matchExpressions ?? []) {
    const operator = operators[e.operator];
    if (!operator)
      throw new SelectorError(`${JSON.stringify(e.operator)} is not a valid label selector operator`);
    requirements.push({ key: e.key, operator, values: [...(e.values ?? [])] });
  }
  return { requirements };
}
