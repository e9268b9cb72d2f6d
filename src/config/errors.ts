import { InputError, type BootkubeErrorOptions } from '../errors.js';

/** A flag or config-file field whose value is unusable. The message names the field and the value. */
export class ConfigError extends InputError {
  readonly code = 'CONFIG_INVALID';
  /** The flag (`--pod-cidr`) or config field (`network.podCIDR in cluster.yaml`) that was wrong. */
  readonly field: string;

  constructor(field: string, problem: string, options: BootkubeErrorOptions = {}) {
    super(`${field}: ${problem}`, options);
    this.field = field;
  }
}

/** The config file itself cannot be used: unreadable, not YAML, wrong apiVersion or kind, unknown field. */
export class ConfigFileError extends InputError {
  readonly code = 'CONFIG_FILE_INVALID';
}
