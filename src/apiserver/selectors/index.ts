/** Label and field selectors for list, watch and deletecollection, as kube-apiserver parses and applies them. */
export { SelectorError } from './errors.js';
export {
  parseLabelSelector,
  matchesLabels,
  labelSelectorFromObject,
  type LabelSelector,
  type LabelRequirement,
  type LabelOperator,
} from './labels.js';
export {
  parseFieldSelector,
  matchesFields,
  fieldValue,
  type FieldSelector,
  type FieldRequirement,
} from './fields.js';
