/** One member's active days in one dimension, each with the day before it (-1: none). */
export type MemberDays = Array<{ day: number; prev: number }>;

/** What to write for one member: rows to insert or whose `prev_day` changed, and count changes. */
export interface MemberDaysPlan {
  rows: Array<{ day: number; prev: number }>;
  /** `+1` for the (day, prev) pair a row now has, `-1` for the one it no longer has. */
  deltas: Array<{ day: number; prev: number; by: 1 | -1 }>;
}

/**
 * Adds active days to a member's stored days, keeping every day's `prev` (the member's previous
 * active day) exact: a new day gets the day before it, and the day after it, if stored,
 * now follows the new day. Days already stored change nothing, so folding an event twice is
 * harmless. Pure: the caller reads the stored days and writes the plan.
 *
 * @example
 * planMemberDays([{ day: 10, prev: -1 }, { day: 14, prev: 10 }], [12]);
 * // rows: [{ day: 12, prev: 10 }, { day: 14, prev: 12 }]
 * // deltas: (12,10) +1, (14,10) -1, (14,12) +1
 */
export function planMemberDays(stored: MemberDays, added: Iterable<number>): MemberDaysPlan {
  const had = new Map(stored.map((d) => [d.day, d.prev]));
  const days = new Set(had.keys());
  for (const d of added) days.add(d);
  const plan: MemberDaysPlan = { rows: [], deltas: [] };
  if (days.size === had.size) return plan;
  let prev = -1;
  for (const day of [...days].sort((a, b) => a - b)) {
    const old = had.get(day);
    if (old !== prev) {
      plan.rows.push({ day, prev });
      if (old !== undefined) plan.deltas.push({ day, prev: old, by: -1 });
      plan.deltas.push({ day, prev, by: 1 });
    }
    prev = day;
  }
  return plan;
}
