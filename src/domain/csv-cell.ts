/**
 * Characters a spreadsheet skips before it decides a cell is a formula: whitespace of every
 * kind (space, tab, CR, LF, NBSP U+00A0, the line and paragraph separators U+2028 / U+2029, the
 * other Unicode spaces), the zero-width and byte-order marks, and `;` (a field separator in many
 * locales, after which the rest is read as a new cell).
 */
const SKIPPED_BEFORE_FORMULA = /^[\s\u200b-\u200d\u2060\ufeff;]*/;

/**
 * OWASP's formula triggers (= + - @), their full-width forms (U+FF1D, U+FF0B, U+FF0D, U+FF20),
 * and tab / CR / LF, which OWASP lists because they open a cell.
 */
const FORMULA_START = /^[=+\-@\uff1d\uff0b\uff0d\uff20]/;
const OPENS_WITH_CONTROL = /^[\t\r\n]/;

/**
 * A text cell a spreadsheet would run as a formula gets a leading apostrophe: one that starts
 * with a trigger, or with a trigger after leading whitespace and invisible separators (" =1+1",
 * "\u00a0=HYPERLINK(…)", "\u2028@SUM(…)", ";=cmd"). NUL is removed everywhere (P19). The one
 * function every CSV export (payouts, PayPal, Wise, reports) writes its text cells through;
 * amounts are not text cells: they stay numbers.
 */
export function neutralizeCell(text: string): string {
  const clean = text.replace(/\u0000/g, '');
  const rest = clean.replace(SKIPPED_BEFORE_FORMULA, '');
  return OPENS_WITH_CONTROL.test(clean) || FORMULA_START.test(rest) ? `'${clean}` : clean;
}
