import type { Child } from 'hono/jsx';

/** A column heading; `num` right-aligns the column (amounts, counts). */
export interface Column {
  label: Child;
  num?: boolean;
}

export const text = (label: Child): Column => ({ label });
export const num = (label: Child): Column => ({ label, num: true });

/**
 * Every table of the dashboards: a scrolling box, one heading row, a body row per item (or one
 * cell saying there are none), and an optional footer. data-testid names it for the tests.
 */
export function DataTable<T>(props: {
  testId: string;
  columns: readonly Column[];
  rows: readonly T[];
  row: (item: T) => Child;
  empty?: string;
  foot?: Child;
}) {
  return (
    <div class="scroll">
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
