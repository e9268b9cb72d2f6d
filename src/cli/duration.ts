/** Durations in flags: `0`, `30d`, `12h`, `1d12h`, `90m`, `5s` (a unit is required, except for 0). */
import { InputError } from '../errors.js';

export class DurationError extends InputError {
  readonly code = 'BAD_DURATION';
}

const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** Milliseconds of `text`; `source` (the flag) is named in the error. */
export function parseDuration(text: string, source: string): number {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  const m = DURATION.exec(trimmed);
  if (!m || trimmed === '') {
    throw new DurationError(`${source} ${JSON.stringify(text)}: not a duration`, {
      hint: /^\d+$/.test(trimmed) ? 'give a unit, e.g. 30d, 12h or 5m' : 'give e.g. 30d, 12h, 1d12h, 5m or 0',
    });
  }
  const [d, h, min, s] = m.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number];
  return ((d * 24 + h) * 60 + min) * 60_000 + s * 1000;
}
