import type { ReactNode } from 'react';

/** A column heading; `hidden` ones are read by screen readers only (an actions column, say). */
export type Column = string | { readonly hidden: string };

/** A data table that scrolls sideways on narrow screens rather than widening the page. */
export function Table({ columns, caption, className, children }: { columns: readonly Column[]; caption?: string; className?: string; children: ReactNode }) {
  return (
    <div className="table-scroll">
      <table className={className}>
        {caption ? <caption className="visually-hidden">{caption}</caption> : null}
        <thead>
          <tr>
            {columns.map((column) => (
              <th scope="col" key={typeof column === 'string' ? column : column.hidden}>
                {typeof column === 'string' ? column : <span className="visually-hidden">{column.hidden}</span>}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
