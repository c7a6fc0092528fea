import { sql, type Expression, type Kysely, type SqlBool } from 'kysely';
import { textProblem } from '../collect/unstorable.js';
import { fromJson } from '../db/json.js';
import type { Database } from '../db/schema.js';
import type { Scorer } from '../scoring/engine.js';
import type { Stage } from '../scoring/lifecycle.js';
import { sqlFragments } from './sqlFragments.js';

export const LEAD_SORTS = ['score', 'activity', 'created'] as const;
export type LeadSort = (typeof LEAD_SORTS)[number];

export interface LeadListQuery {
  site: string;
  stage?: Stage;
  /** Total score (fit + decayed engagement, as shown) at least / at most this. */
  minScore?: number;
  maxScore?: number;
  /** Last activity (the latest event scored for the lead) within this many days. */
  activeDays?: number;
  /** Part of the email or of the company's name, any case. */
  search?: string;
  sort?: LeadSort;
  order?: 'asc' | 'desc';
  /** A `nextCursor` from the page before. */
  after?: string;
  limit?: number;
}

export interface LeadListRow {
  id: string;
  email: string;
  stage: Stage;
  score: { engagement: number; fit: number; total: number };
  /** The latest event scored for the lead (ms), or its creation when it has none. */
  lastActivityAt: number;
  createdAt: number;
  company: string | null;
  jobTitle: string | null;
}

export interface LeadList {
  leads: LeadListRow[];
  /** Pass as `after` for the next page; null on the last. */
  nextCursor: string | null;
}

const DAY_MS = 86_400_000;

/** A cursor carries the sort, the last row's key and the time scores were taken at, so every page of one listing ranks alike. */
type Cursor = { sort: LeadSort; order: 'asc' | 'desc'; value: number; id: string; asOf: number };
const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify([c.sort, c.order, c.value, c.id, c.asOf])).toString('base64url');
function decodeCursor(text: string): Cursor | undefined {
  try {
    const [sort, order, value, id, asOf] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (!LEAD_SORTS.includes(sort) || (order !== 'asc' && order !== 'desc') || typeof id !== 'string' || textProblem(id) || !Number.isSafeInteger(asOf)) return undefined;
    // A score may have decimals; times are whole milliseconds.
    if (sort === 'score' ? !Number.isFinite(value) : !Number.isSafeInteger(value)) return undefined;
    return { sort, order, value, id, asOf };
  } catch {
    return undefined;
  }
}

/**
 * Whether a text is a cursor `listLeads` gave out (`nextCursor`): a page asked for with another
 * (an old or edited link) is no page of this listing.
 *
 * @example
 * isLeadListCursor(list.nextCursor!) // true
 */
export const isLeadListCursor = (text: string) => decodeCursor(text) !== undefined;

/** `%`, `_` and `\` in what someone typed match themselves. */
const likeContains = (text: string) => `%${text.replace(/[\\%_]/g, (m) => '\\' + m)}%`;

/**
 * One page of a site's leads (merged leads left out) for the dashboard's list: filtered by
 * stage, score range, recent activity and a search in email or company, sorted by score, last
 * activity or creation, with keyset paging (`after`), so the hundredth page costs what the
 * first does. The score is the one the API shows (fit plus decayed engagement, capped): SQL
 * ranks by the same formula at one time, kept in the cursor, and `scorer.scoresAt` gives the
 * figures shown.
 *
 * Indexes: leads (site_id, engagement_at, id) and (site_id, created_at, id) for the activity
 * and creation orders; the score order reads the site's leads once and keeps the top rows.
 *
 * @example
 * const { leads, nextCursor } = await listLeads(db, scorer, { site: 'demo', stage: 'mql', sort: 'score' }, Date.now());
 */
export async function listLeads(db: Kysely<Database>, scorer: Scorer | undefined, query: LeadListQuery, now: number): Promise<LeadList> {
  const limit = query.limit ?? 50;
  const cursor = query.after ? decodeCursor(query.after) : undefined;
  // A cursor from another sort (the form changed) starts the list again.
  const after = cursor && cursor.sort === (query.sort ?? 'activity') && cursor.order === (query.order ?? 'desc') ? cursor : undefined;
  const sort = query.sort ?? 'activity';
  const order = query.order ?? 'desc';
  const asOf = after?.asOf ?? now;
  const f = sqlFragments(db);

  const rules = scorer?.rules;
  const halfLifeMs = (rules?.halfLifeDays ?? 30) * DAY_MS;
  const capped = (value: Expression<number>, cap: number | undefined) => (cap === undefined ? value : sql<number>`(case when ${value} > ${sql.lit(cap)} then ${sql.lit(cap)} else ${value} end)`);
  // Engagement decays by half every half-life since its last event (scorer.engagementAt).
  const decayed = sql<number>`(case when engagement_at = 0 then 0 else engagement * power(2, ${f.real(sql`(case when engagement_at < ${asOf} then engagement_at - ${asOf} else 0 end)`)} / ${sql.lit(halfLifeMs)}) end)`;
  const total = sql<number>`(${capped(decayed, rules?.caps.engagement)} + ${capped(sql.ref('fit'), rules?.caps.fit)})`;
  const activity = sql<number>`(case when engagement_at = 0 then created_at else engagement_at end)`;
  const key: Expression<number> = sort === 'score' ? total : sort === 'created' ? sql.ref('created_at') : sql.ref('engagement_at');

  let q = db
    .selectFrom('leads')
    .select(['id', 'email', 'stage', 'score_state', 'created_at', 'engagement_at', 'traits'])
    .select(sql<number>`${key}`.as('sort_key'))
    .where('site_id', '=', query.site)
    .where('merged_into', 'is', null);
  if (query.stage) q = q.where('stage', '=', query.stage);
  // Rounded figures are shown: compare with a margin of half a hundredth so "at least 30" keeps a 29.996.
  if (query.minScore !== undefined) q = q.where(sql<SqlBool>`${total} >= ${query.minScore - 0.005}`);
  if (query.maxScore !== undefined) q = q.where(sql<SqlBool>`${total} < ${query.maxScore + 0.005}`);
  if (query.activeDays !== undefined) q = q.where(sql<SqlBool>`${activity} >= ${now - query.activeDays * DAY_MS}`);
  const search = query.search?.trim().replace(/[\r\n]+/g, ' ').toLowerCase();
  if (search) {
    const pattern = likeContains(search);
    // The email and company, lower-cased by the database (migration 020), with a line break
    // between them that a search (one line) cannot match across. Matched in a subquery, which
    // reads the search index alone; the order's index then only checks ids against its result.
    q = q.where('id', 'in', db.selectFrom('leads').select('id').where('site_id', '=', query.site).where('merged_into', 'is', null).where(sql<SqlBool>`search_text like ${pattern} escape '\\'`));
  }
  if (after) {
    const [cmp, value] = [order === 'desc' ? sql.raw('<') : sql.raw('>'), after.value];
    q = q.where(sql<SqlBool>`(${key} ${cmp} ${value} or (${key} = ${value} and id ${cmp} ${after.id}))`);
  }
  const rows = await q
    .orderBy(sql`${key}`, order)
    .orderBy('id', order)
    .limit(limit + 1)
    .execute();

  const page = rows.slice(0, limit);
  const leads = page.map((row): LeadListRow => {
    const traits = fromJson(row.traits);
    return {
      id: row.id,
      email: row.email,
      stage: row.stage,
      score: scorer ? scorer.scoresAt(fromJson(row.score_state), asOf) : { engagement: 0, fit: 0, total: 0 },
      lastActivityAt: Number(row.engagement_at) || Number(row.created_at),
      createdAt: Number(row.created_at),
      company: traits.company ?? null,
      jobTitle: traits.jobTitle ?? null,
    };
  });
  const last = page.at(-1);
  return { leads, nextCursor: rows.length > limit && last ? encodeCursor({ sort, order, value: Number(last.sort_key), id: last.id, asOf }) : null };
}
