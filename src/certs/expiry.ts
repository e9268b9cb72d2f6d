/**
 * When a certificate expires, seen from a given clock: the state `check-expiration` reports and the
 * `--fail-within` durations it compares against. Pure: the clock is always passed in.
 */
import type { X509Certificate } from 'node:crypto';
import { validityOf } from '../pki/inspect.js';

export const HOUR_MS = 60 * 60 * 1000;
export const DAY_MS = 24 * HOUR_MS;
/** Under this much time left, a certificate is reported with a warning. */
export const WARNING_DAYS = 30;

/**
 * `expired`: past its notAfter (a certificate is valid through its notAfter second, as X.509 and
 * OpenSSL have it). `expires-today`: less than 24 hours left. `warning`: less than 30 days left.
 */
export type ExpiryState = 'expired' | 'expires-today' | 'warning' | 'ok';

export interface Expiry {
  /** ISO 8601, whole seconds. */
  notAfter: string;
  /** Whole days and hours left, both rounded down; negative (time since expiry) once expired. */
  remaining: { days: number; hours: number };
  /** Seconds left (negative once expired): what `--fail-within` compares against. */
  remainingSeconds: number;
  state: ExpiryState;
}

/** Anything with a notAfter: an X509Certificate, or a description such as pki's CertificateInfo. */
export type HasNotAfter = X509Certificate | { notAfter: string | Date };

/** When `cert` expires, seen at `now`. */
export function expiry(cert: HasNotAfter, now: Date): Expiry {
  const notAfter = 'notAfter' in cert ? new Date(cert.notAfter) : validityOf(cert).notAfter;
  const left = notAfter.getTime() - now.getTime();
  const magnitude = Math.abs(left);
  const sign = left < 0 ? -1 : 1;
  const days = Math.floor(magnitude / DAY_MS);
  const hours = Math.floor((magnitude % DAY_MS) / HOUR_MS);
  return {
    notAfter: notAfter.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    // `|| 0` keeps -0 out of --json.
    remaining: { days: sign * days || 0, hours: sign * hours || 0 },
    remainingSeconds: Math.trunc(left / 1000),
    state: stateOf(left),
  };
}

function stateOf(leftMs: number): ExpiryState {
  if (leftMs < 0) return 'expired';
  if (leftMs < DAY_MS) return 'expires-today';
  if (leftMs < WARNING_DAYS * DAY_MS) return 'warning';
  return 'ok';
}

/** True when `e` expires within `withinMs` from its clock: already expired always counts, even for 0. */
export function expiresWithin(e: Expiry, withinMs: number): boolean {
  return e.remainingSeconds * 1000 < withinMs;
}

export { parseDuration } from '../cli/duration.js';

/** `364d 23h`, `0d 5h`, or `3d 2h ago` once expired. */
export function formatRemaining(e: Expiry): string {
  const { days, hours } = e.remaining;
  const text = `${Math.abs(days)}d ${Math.abs(hours)}h`;
  return e.remainingSeconds < 0 ? `${text} ago` : text;
}

/** `2026-11-22 06:14 UTC`: a date a human reads at a glance. */
export function formatDate(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}
