/**
 * Resource quantities ('100m', '1Gi', '1e3') as exact integers of nano-units, enough to compare
 * and add them as the pod QoS class needs (apimachinery pkg/api/resource: suffixes are binary SI,
 * decimal SI or a decimal exponent). Values finer than a nano-unit round up, as Quantity does.
 */

const BINARY: Record<string, bigint> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const QUANTITY = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?[0-9]+))?$/;

/** The quantity in nano-units, or undefined when it is not a quantity. */
export function parseQuantity(text: unknown): bigint | undefined {
  if (typeof text === 'number' && Number.isFinite(text)) text = String(text);
  if (typeof text !== 'string') return undefined;
  const m = QUANTITY.exec(text.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  const [, sign, whole, frac = '', suffix, exponent] = m;
  // digits / 10^frac.length, scaled to nano-units by 10^9
  let numerator = BigInt(`${whole}${frac}` || '0');
  let power = 9 - frac.length;
  if (suffix && BINARY[suffix] !== undefined) numerator *= BINARY[suffix];
  else if (suffix !== undefined) power += DECIMAL[suffix];
  else if (exponent !== undefined) power += Number(exponent);
  let value: bigint;
  if (power >= 0) value = numerator * 10n ** BigInt(power);
  else {
    const divisor = 10n ** BigInt(-power);
    value = numerator / divisor + (numerator % divisor === 0n ? 0n : 1n);
  }
  return sign === '-' ? -value : value;
}
