/**
 * The command lines of Kubernetes components as Go's pflag reads them: `--name=value`,
 * `--name value`, and `--name` alone for booleans. Components take no positional arguments, so a
 * bare word after a flag without `=` is that flag's value unless the flag is known to be boolean.
 */
import { StandInConfigError } from './errors.js';

/** Flags the stand-ins read that take no value when written alone. */
const BOOLEAN_FLAGS = new Set([
  'leader-elect',
  'allocate-node-cidrs',
  'use-service-account-credentials',
  'allow-privileged',
]);

export interface ComponentFlags {
  /** The last value of each flag (pflag keeps the last for scalar flags). */
  get(name: string): string | undefined;
  has(name: string): boolean;
  /** A boolean flag: `--x`, `--x=true`; `fallback` when absent. */
  bool(name: string, fallback: boolean): boolean;
  /** A Go duration flag in milliseconds (`15s`, `1m30s`, `250ms`); `fallbackMs` when absent. */
  durationMs(name: string, fallbackMs: number): number;
}

/** Parses `argv` (the arguments after the binary's name). */
export function parseComponentFlags(argv: readonly string[]): ComponentFlags {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--?([^=]+)(?:=(.*))?$/s.exec(arg);
    if (!m) continue;
    const name = m[1]!;
    if (m[2] !== undefined) values.set(name, m[2]);
    else if (!BOOLEAN_FLAGS.has(name) && i + 1 < argv.length && !argv[i + 1]!.startsWith('-'))
      values.set(name, argv[++i]!);
    else values.set(name, 'true');
  }
  return {
    get: (name) => values.get(name),
    has: (name) => values.has(name),
    bool(name, fallback) {
      const v = values.get(name);
      if (v === undefined) return fallback;
      if (/^(1|t|true|T|TRUE|True)$/.test(v)) return true;
      if (/^(0|f|false|F|FALSE|False)$/.test(v)) return false;
      throw new StandInConfigError(`invalid boolean ${JSON.stringify(v)} for --${name}`);
    },
    durationMs(name, fallbackMs) {
      const v = values.get(name);
      return v === undefined ? fallbackMs : parseGoDuration(v, `--${name}`);
    },
  };
}

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's time.ParseDuration, in milliseconds: `1h2m3.5s`, `250ms`, `0`. */
export function parseGoDuration(text: string, what = 'duration'): number {
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  const sign = text.startsWith('-') ? -1 : 1;
  if (text.startsWith('-') || text.startsWith('+')) pos = 1;
  re.lastIndex = pos;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos !== text.length || pos === 0)
    throw new StandInConfigError(`invalid duration ${JSON.stringify(text)} for ${what}`);
  return sign * total;
}

/**
 * Rewrites the values of the named flags with `map` (container paths to host paths), in either
 * spelling; every other argument passes through unchanged.
 */
export function mapFlagValues(
  argv: readonly string[],
  names: ReadonlySet<string>,
  map: (name: string, value: string) => string,
): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^(--?)([^=]+)(?:=(.*))?$/s.exec(arg);
    if (!m || !names.has(m[2]!)) {
      out.push(arg);
      continue;
    }
    if (m[3] !== undefined) out.push(`${m[1]}${m[2]}=${map(m[2]!, m[3])}`);
    else if (i + 1 < argv.length) out.push(arg, map(m[2]!, argv[++i]!));
    else out.push(arg);
  }
  return out;
}
