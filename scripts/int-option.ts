/**
 * A whole-number command-line option of the bench scripts (`--name N`, digits may be grouped
 * with `_` as in 1_000_000): `fallback` when absent, and a message naming the option when it is
 * not a positive integer (or a non-negative one, with `allowZero`).
 */
export function positiveInt(name: string, value: string | undefined, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) {
    throw new Error(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${JSON.stringify(value)}`);
  }
  return n;
}
