import { InputError } from '../errors.js';

/** The asset dir is missing a file, holds one that does not parse, or contradicts itself. */
export class AssetDirError extends InputError {
  readonly code = 'ASSET_DIR_INVALID';
}
