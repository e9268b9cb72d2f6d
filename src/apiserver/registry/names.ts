/** Server-generated names, as kube-apiserver makes them (apiserver pkg/storage/names, utilrand). */
import { randomInt } from 'node:crypto';

/** utilrand's alphabet: no vowels (no words by accident) and no look-alike characters. */
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
/** SimpleNameGenerator: names of at most 63 characters, 5 of them random. */
const MAX_PREFIX_LENGTH = 58;

/** n random characters of utilrand's alphabet. */
export function randomNameSuffix(n = 5): string {
  return Array.from({ length: n }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
}

/** A name for metadata.generateName: the prefix, cut to 58 characters, and 5 random characters. */
export function generateObjectName(prefix: string): string {
  return `${prefix.slice(0, MAX_PREFIX_LENGTH)}${randomNameSuffix()}`;
}
