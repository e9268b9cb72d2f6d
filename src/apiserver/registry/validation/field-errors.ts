/**
 * Field errors worded as kube-apiserver words them (apimachinery pkg/util/validation/field
 * errors.go): the cause message is the error body ('Invalid value: "x": detail'), the cause type
 * is the StatusCause reason, and the Status message aggregates them.
 */
import type { FieldCause } from '../types.js';

/** Go's %#v of a value as field errors print it: strings quoted, numbers bare, the rest as JSON. */
function goValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === undefined || value === null) return 'null';
  return JSON.stringify(value);
}

function withDetail(body: string, detail?: string): string {
  return detail ? `${body}: ${detail}` : body;
}

export const fieldError = {
  required: (field: string, detail?: string): FieldCause => ({
    field,
    type: 'FieldValueRequired',
    message: withDetail('Required value', detail),
  }),
  invalid: (field: string, value: unknown, detail?: string): FieldCause => ({
    field,
    type: 'FieldValueInvalid',
    message: withDetail(`Invalid value: ${goValue(value)}`, detail),
  }),
  forbidden: (field: string, detail?: string): FieldCause => ({
    field,
    type: 'FieldValueForbidden',
    message: withDetail('Forbidden', detail),
  }),
  duplicate: (field: string, value: unknown): FieldCause => ({
    field,
    type: 'FieldValueDuplicate',
    message: `Duplicate value: ${goValue(value)}`,
  }),
  notSupported: (field: string, value: unknown, supported: string[]): FieldCause => ({
    field,
    type: 'FieldValueNotSupported',
    message: `Unsupported value: ${goValue(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
  }),
  tooLong: (field: string, max: number): FieldCause => ({
    field,
    type: 'FieldValueTooLong',
    message: `Too long: may not be more than ${max} bytes`,
  }),
};

/**
 * The message of the 422 Status for causes: `Pod "x" is invalid: <cause>` or, for several,
 * `… is invalid: [<cause>, <cause>]` (apierrors.NewInvalid). The kind is qualified by its group
 * outside core ('Deployment.apps').
 */
export function invalidMessage(kind: string, group: string, name: string, causes: FieldCause[]): string {
  const qualified = group ? `${kind}.${group}` : kind;
  const errors = causes.map((c) => `${c.field}: ${c.message}`);
  const aggregate = errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`;
  return `${qualified} ${JSON.stringify(name)} is invalid: ${aggregate}`;
}
