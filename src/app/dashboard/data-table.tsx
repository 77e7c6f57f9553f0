import type { Child } from 'hono/jsx';
import type { Formatter } from './format';

/** A column heading; `num` right-aligns the column (amounts, counts). */
export interface Column {
  label: Child;
  num?: boolean;
}

export const text = (label: Child): Column => ({ label });
export const num = (label: Child): Column => ({ label, num: true });

/**
 * Every table of the dashboards: a box that scrolls sideways inside its card (keyboard-focusable,
 * named after the table, so a phone and a keyboard both reach the last column), one heading row, a
 * body row per item (or one cell saying there are none), and an optional footer. data-testid names
 * it for the tests.
 */
export function DataTable<T>(props: {
  testId: string;
  columns: readonly Column[];
  rows: readonly T[];
  row: (item: T) => Child;
  empty?: string;
  foot?: Child;
  /** What a screen reader calls the scrolling box; defaults to the test id's words. */
  label?: string;
}) {
  return (
    <div class="table-scroll" tabindex={0} role="region" aria-label={props.label ?? props.testId.replace(/-/g, ' ')}>
      <table data-testid={props.testId}>
        <thead>
          <tr>
            {props.columns.map((c) =>
              c.num ? (
                <th scope="col" class="num">
                  {c.label}
                </th>
              ) : (
                <th scope="col">{c.label}</th>
              ),
            )}
          </tr>
        </thead>
        <tbody>
          {props.rows.length === 0 && props.empty !== undefined && (
            <tr>
              <td colspan={props.columns.length}>{props.empty}</td>
            </tr>
          )}
          {props.rows.map(props.row)}
        </tbody>
        {props.foot !== undefined && <tfoot>{props.foot}</tfoot>}
      </table>
    </div>
  );
}

/*
 * Cells for numbers. Each prints the viewer's formatting and keeps the API's exact value in
 * data-value (and the field's name in data-field), so a test compares both with the API.
 */

export const MoneyCell = (p: { fmt: Formatter; amount: string | null; currency: string; field?: string }) => (
  <td class="num" data-field={p.field} data-value={p.amount ?? ''}>
    {p.amount === null ? '–' : p.fmt.money(p.amount, p.currency)}
  </td>
);

export const CountCell = (p: { fmt: Formatter; value: number; field?: string }) => (
  <td class="num" data-field={p.field} data-value={String(p.value)}>
    {p.fmt.count(p.value)}
  </td>
);

export const PercentCell = (p: { fmt: Formatter; rate: string | null; field?: string }) => (
  <td class="num" data-field={p.field} data-value={p.rate ?? ''}>
    {p.fmt.percent(p.rate)}
  </td>
);
