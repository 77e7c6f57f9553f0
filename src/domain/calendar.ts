/**
 * Report and filter ranges are calendar dates (`YYYY-MM-DD`, UTC), both ends inclusive; stored
 * times are ISO 8601 text, which sorts as time. These turn a date into the bounds to compare with.
 */
export function startOfDay(date: string): string {
  return `${date}T00:00:00.000Z`;
}

/** The first instant after `date`: an inclusive end becomes `< dayAfter(to)`. */
export function dayAfter(date: string): string {
  const d = new Date(startOfDay(date));
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString();
}

/** The instants a calendar month (`YYYY-MM`, UTC) spans: `from ≤ t < to`. */
export function monthBounds(month: string): { from: string; to: string } {
  const d = new Date(`${month}-01T00:00:00.000Z`);
  d.setUTCMonth(d.getUTCMonth() + 1);
  return { from: `${month}-01T00:00:00.000Z`, to: d.toISOString() };
}
