/**
 * Raw settings before validation: each value remembers where it came from, so an error can name
 * the flag or the config-file field the user has to fix.
 */
export interface Setting {
  value: string | string[];
  /** `--pod-cidr`, or `network.podCIDR in cluster.yaml`. */
  source: string;
}

/** Settings keyed by their dotted config path (see fields.ts). Later layers override earlier ones. */
export type Settings = Map<string, Setting>;

/** Merges layers in order of precedence, lowest first. */
export function mergeSettings(...layers: Settings[]): Settings {
  const merged: Settings = new Map();
  for (const layer of layers) for (const [path, setting] of layer) merged.set(path, setting);
  return merged;
}
