import type { Kysely } from 'kysely';
import type { Campaign } from '../../../shared/src/types.js';
import { textProblem } from '../collect/unstorable.js';
import { fromJson, fromJsonOrNull } from '../db/json.js';
import type { ChangeSource, Database, FeedbackType, IdentityKind } from '../db/schema.js';
import { leadSubject } from '../leads/leadStore.js';
import type { Scorer } from '../scoring/engine.js';
import type { ScoringRules } from '../scoring/rulesSchema.js';
import type { Stage } from '../scoring/lifecycle.js';

/** Points one rule gave one event, with the rule's description from the rules in effect. */
export interface TimelineHit {
  ruleId: string;
  /** The rule's description, else null; `inEffect` false when the rule is no longer in the rule set. */
  description: string | null;
  inEffect: boolean;
  points: number;
  /** What is left of the points now, after decay. */
  remaining: number;
}

export type TimelineItem =
  | { kind: 'event'; at: number; id: string; type: string; name: string | null; path: string; title: string | null; stage: string | null; category: string | null; visitorId: string; campaign: Campaign | null; hits: TimelineHit[] }
  | { kind: 'stage'; at: number; from: Stage; to: Stage; cause: string; source: ChangeSource; engagement: number; fit: number; ruleVersion: string }
  | { kind: 'feedback'; at: number; type: FeedbackType; reason: string | null; note: string | null; by: string | null; responseMs: number | null }
  | { kind: 'identity'; at: number; identity: IdentityKind; visitorId: string | null; otherLeadId: string | null; detail: string };

export interface LeadTimeline {
  /** Newest first. */
  items: TimelineItem[];
  /** Pass as `before` for older items; null when this page reaches the start. */
  olderCursor: string | null;
  /** The rules of each version a stage change on this page was made under, as far as the site kept them: a cause is told by the rules of its time. */
  rulesOf: Map<string, ScoringRules>;
}

const DAY_MS = 86_400_000;
const round2 = (n: number) => Math.round(n * 100) / 100;
const encode = (ts: number, id: string) => Buffer.from(JSON.stringify([ts, id])).toString('base64url');
function decode(text: string | undefined): [number, string] | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    return Array.isArray(v) && Number.isSafeInteger(v[0]) && typeof v[1] === 'string' && !textProblem(v[1]) ? [v[0], v[1]] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One page of a lead's timeline, newest first: its `limit` most recent events before the
 * cursor (the events that count for the lead: each linked browser's from its link, earlier
 * links within their ranges), each with the points every rule gave it, the rule's description
 * and what decay has left; and, in the same span of time, its stage changes with their causes,
 * sales feedback and identity log entries (links, refusals, merges). A long history costs what
 * a short one does: events by (visitor, time) and everything else by lead are indexed reads.
 *
 * @example
 * const { items, olderCursor } = await leadTimeline(db, scorer, lead, { limit: 50 }, Date.now());
 */
export async function leadTimeline(
  db: Kysely<Database>,
  scorer: Scorer | undefined,
  lead: { id: string; site_id: string },
  { before, limit = 50 }: { before?: string; limit?: number },
  now: number,
): Promise<LeadTimeline> {
  const cursor = decode(before);
  const [current, past] = await Promise.all([
    db.selectFrom('lead_visitors').select(['visitor_id', 'from_ts']).where('lead_id', '=', lead.id).execute(),
    db.selectFrom('past_links').select(['visitor_id', 'from_ts', 'until_ts']).where('lead_id', '=', lead.id).execute(),
  ]);
  const events =
    current.length || past.length
      ? await db
          .selectFrom('events')
          .select(['id', 'ts', 'type', 'name', 'path', 'title', 'stage', 'category', 'visitor_id', 'campaign'])
          .where('site_id', '=', lead.site_id)
          .where((eb) =>
            eb.or([
              ...current.map((l) => eb.and([eb('visitor_id', '=', l.visitor_id), eb('ts', '>=', l.from_ts)])),
              ...past.map((l) => eb.and([eb('visitor_id', '=', l.visitor_id), eb('ts', '>=', l.from_ts), eb('ts', '<', l.until_ts)])),
            ]),
          )
          .$if(!!cursor, (q) => q.where((eb) => eb.or([eb('ts', '<', cursor![0]), eb.and([eb('ts', '=', cursor![0]), eb('id', '<', cursor![1])])])))
          .orderBy('ts', 'desc')
          .orderBy('id', 'desc')
          .limit(limit + 1)
          .execute()
      : [];
  const page = events.slice(0, limit);
  const more = events.length > limit;
  // The span of time this page covers: other entries are shown where they fall among the events.
  const newest = cursor ? cursor[0] : Number.MAX_SAFE_INTEGER;
  const oldest = more ? Number(page.at(-1)!.ts) : 0;
  const [hits, stages, feedback, identity] = await Promise.all([
    page.length
      ? db
          .selectFrom('score_hits')
          .select(['event_id', 'rule_id', 'points', 'ts'])
          .where('subject', '=', leadSubject(lead.id))
          .where('event_id', 'in', page.map((e) => e.id))
          .execute()
      : Promise.resolve([]),
    db.selectFrom('stage_changes').selectAll().where('lead_id', '=', lead.id).where('at', '>=', oldest).where('at', '<', newest).orderBy('at', 'desc').limit(500).execute(),
    db.selectFrom('feedback').selectAll().where('lead_id', '=', lead.id).where('at', '>=', oldest).where('at', '<', newest).orderBy('at', 'desc').limit(500).execute(),
    db.selectFrom('identity_log').selectAll().where('lead_id', '=', lead.id).where('at', '>=', oldest).where('at', '<', newest).orderBy('at', 'desc').limit(500).execute(),
  ]);
  const halfLifeMs = (scorer?.rules.halfLifeDays ?? 30) * DAY_MS;
  const rules = new Map(scorer?.rules.engagement.map((r) => [r.id, r]) ?? []);
  const ruleOrder = [...rules.keys()];
  const items: TimelineItem[] = [
    ...page.map((e): TimelineItem => ({
      kind: 'event',
      at: Number(e.ts),
      id: e.id,
      type: e.type,
      name: e.name,
      path: e.path,
      title: e.title,
      stage: e.stage,
      category: e.category,
      visitorId: e.visitor_id,
      campaign: fromJsonOrNull(e.campaign),
      hits: hits
        .filter((h) => h.event_id === e.id)
        .sort((a, b) => ruleOrder.indexOf(a.rule_id) - ruleOrder.indexOf(b.rule_id))
        .map((h) => ({
          ruleId: h.rule_id,
          description: rules.get(h.rule_id)?.description ?? null,
          inEffect: rules.has(h.rule_id),
          points: h.points,
          remaining: round2(h.points * 2 ** (-(Math.max(now, Number(h.ts)) - Number(h.ts)) / halfLifeMs)),
        })),
    })),
    ...stages.map((s): TimelineItem => ({ kind: 'stage', at: Number(s.at), from: s.from_stage, to: s.to_stage, cause: s.cause, source: s.source, engagement: s.engagement, fit: s.fit, ruleVersion: s.rule_version })),
    ...feedback.map((f): TimelineItem => ({ kind: 'feedback', at: Number(f.at), type: f.type, reason: f.reason, note: f.note, by: f.by_user, responseMs: f.response_ms === null ? null : Number(f.response_ms) })),
    ...identity.map((i): TimelineItem => ({ kind: 'identity', at: Number(i.at), identity: i.kind, visitorId: i.visitor_id, otherLeadId: i.other_lead_id, detail: i.detail })),
  ];
  // Newest first; at the same moment the event comes last (below), as it came first.
  const rank = (i: TimelineItem) => (i.kind === 'event' ? 0 : 1);
  items.sort((a, b) => b.at - a.at || rank(b) - rank(a) || (a.kind === 'event' && b.kind === 'event' ? (a.id < b.id ? 1 : -1) : 0));
  const rulesOf = new Map<string, ScoringRules>(scorer ? [[scorer.version, scorer.rules]] : []);
  const older = [...new Set(stages.map((s) => s.rule_version))].filter((v) => !rulesOf.has(v));
  if (older.length) {
    const kept = await db.selectFrom('ruleset_versions').select(['version', 'rules']).where('site_id', '=', lead.site_id).where('version', 'in', older).execute();
    for (const r of kept) rulesOf.set(r.version, fromJson(r.rules));
  }
  return { items, olderCursor: more ? encode(oldest, page.at(-1)!.id) : null, rulesOf };
}
