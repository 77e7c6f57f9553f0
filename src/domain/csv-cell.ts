/**
 * A text cell a spreadsheet would run as a formula (= + - @, or tab / CR / LF first) gets a
 * leading apostrophe; NUL is removed everywhere (P19). Amounts are not text cells: they stay
 * numbers.
 */
export function neutralizeCell(text: string): string {
  const clean = text.replace(/\u0000/g, '');
  return /^[=+\-@\t\r\n]/.test(clean) ? `'${clean}` : clean;
}
