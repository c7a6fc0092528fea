import type { Child } from 'hono/jsx';

/**
 * The frame of a table that may be wider than the screen (a phone): the table scrolls sideways
 * inside it rather than being cut off by its panel, with a shadow at an edge that hides columns.
 * It is a labelled region in the tab order, so a keyboard can reach it and scroll it with the
 * arrow keys (as accessibility guides recommend for scrolling regions); the script takes it out
 * of the tab order while it has nothing to scroll.
 *
 * @example
 * <TableScroll label="Traits, with the change that set each"><table>…</table></TableScroll>
 */
export function TableScroll({ label, children }: { label: string; children?: Child }) {
  return (
    <div class="table-scroll" role="region" aria-label={label} tabindex={0}>
      {children}
    </div>
  );
}
