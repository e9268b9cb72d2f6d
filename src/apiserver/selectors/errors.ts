/** Selector errors: a label or field selector the server cannot use. The handler answers 400 BadRequest. */
import { InputError } from '../../errors.js';

export class SelectorError extends InputError {
  readonly code = 'SELECTOR_INVALID';
}
