/** Flags and an optional config file in, a validated ClusterConfig out. */
import { hostname as osHostname } from 'node:os';
import { loadConfigFile } from './file.js';
import { resolveClusterConfig } from './resolve.js';
import { mergeSettings } from './settings.js';
import { settingsFromFlags, type FlagValues } from './sources.js';
import type { ClusterConfig } from './types.js';

export { ConfigError, ConfigFileError } from './errors.js';
export { defaultsDocument, settingsFromFlags, type FlagValues } from './sources.js';
export { parseConfigText } from './file.js';
export { resolveClusterConfig } from './resolve.js';
export type * from './types.js';

export interface LoadOptions {
  /** `--config FILE`, if given. */
  configPath?: string;
  flags: FlagValues;
  bootkubeVersion: string;
  hostname?: string;
}

/** Merges defaults, the config file and flags (in that order of precedence) and validates the result. */
export async function loadClusterConfig(opts: LoadOptions): Promise<ClusterConfig> {
  const fileSettings = opts.configPath ? await loadConfigFile(opts.configPath) : new Map();
  const settings = mergeSettings(fileSettings, settingsFromFlags(opts.flags));
  return resolveClusterConfig(settings, { hostname: opts.hostname ?? osHostname(), bootkubeVersion: opts.bootkubeVersion });
}
