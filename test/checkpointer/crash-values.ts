// Values the crash child writes: each carries its own digest, so a torn write cannot pass for a whole one.
import { createHash } from 'node:crypto';

export function secretValue(i: number): string {
  return `value-${i}-${digest(i)}`;
}

export function isWholeSecretValue(text: string): boolean {
  const m = /^value-(\d+)-([0-9a-f]{16})$/.exec(text);
  return !!m && digest(Number(m[1])) === m[2];
}

function digest(i: number): string {
  return createHash('sha256').update(String(i)).digest('hex').slice(0, 16);
}
