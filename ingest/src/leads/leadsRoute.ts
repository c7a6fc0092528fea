import { Hono } from 'hono';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { describeZodError } from '../../../shared/src/schemas.js';
import type { Database } from '../db/schema.js';
import type { Scorer } from '../scoring/engine.js';
import { leadSubject } from '../scoring/scoreEvents.js';
import { STAGES } from '../scoring/lifecycle.js';
import { normaliseEmail } from './email.js';
import { feedbackSchema, stageAfterFeedback } from './feedback.js';
import { newId, recordStageChanges } from '../scoring/scoreEvents.js';
import type { Stage } from '../scoring/lifecycle.js';
import { presentLeads } from './presentLead.js';

const listQuerySchema = z.object({
  email: z.string().optional(),
  site: z.string().optional(),
  stage: z.enum(STAGES).optional(),
  minScore: z.coerce.number().finite().optional(),
  updatedSince: z
    .string()
    .refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO 8601 time, e.g. 2026-11-01T00:00:00Z')
    .transform((s) => Date.parse(s))
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().optional(),
});

const encodeCursor = (updatedAt: number, id: string) => Buffer.from(JSON.stringify([updatedAt, id])).toString('base64url');
function decodeCursor(cursor: string): [number, string] | undefined {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return Array.isArray(value) && typeof value[0] === 'number' && typeof value[1] === 'string' ? [value[0], value[1]] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Lead lookups for other systems (secret key): one lead, by email, a filtered list in
 * `updatedAt` order for syncing, and the itemised score.
 *
 * @example
 * app.route('/v1/leads', createLeadsRoute({ db, scorers }));
 */
export function createLeadsRoute({ db, scorers, now = Date.now, onCommitted }: { db: Kysely<Database>; scorers: Map<string, Scorer>; now?: () => number; onCommitted?: () => void }) {
  const app = new Hono();

  app.get('/', async (c) => {
    const query = listQuerySchema.safeParse(c.req.query());
    if (!query.success) return c.json({ error: describeZodError(query.error) }, 400);
    const { email, site, stage, minScore, updatedSince, limit, cursor } = query.data;
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    if (cursor !== undefined && !after) return c.json({ error: 'cursor: not a cursor this API gave out' }, 400);
    let q = db.selectFrom('leads').selectAll();
    if (email !== undefined) {
      const normal = normaliseEmail(email);
      if (!normal) return c.json({ error: `email: "${email}" is not an email address` }, 400);
      q = q.where('email', '=', normal);
    }
    if (site) q = q.where('site_id', '=', site);
    if (stage) q = q.where('stage', '=', stage);
    if (updatedSince !== undefined) q = q.where('updated_at', '>=', updatedSince);
    // Decay and caps only ever lower a positive score: a cheap filter first, the exact one below.
    if (minScore !== undefined) q = q.where((eb) => eb(eb(eb.case().when('engagement', '>', 0).then(eb.ref('engagement')).else(0).end(), '+', eb.ref('fit')), '>=', minScore));
    if (after) q = q.where((eb) => eb.or([eb('updated_at', '>', after[0]), eb.and([eb('updated_at', '=', after[0]), eb('id', '>', after[1])])]));
    const rows = await q.orderBy('updated_at').orderBy('id').limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    const leads = (await presentLeads(db, scorers, page, now())).filter((l) => minScore === undefined || l.score.total >= minScore);
    const last = page[page.length - 1];
    return c.json({ leads, nextCursor: rows.length > limit && last ? encodeCursor(last.updated_at, last.id) : null });
  });

  const findLead = async (id: string) => db.selectFrom('leads').selectAll().where('id', '=', id).executeTakeFirst();

  app.get('/:id', async (c) => {
    const lead = await findLead(c.req.param('id'));
    if (!lead) return c.json({ error: `id: no lead "${c.req.param('id')}"` }, 404);
    const [presented] = await presentLeads(db, scorers, [lead], now());
    return c.json(presented);
  });

  app.get('/:id/score', async (c) => {
    const lead = await findLead(c.req.param('id'));
    if (!lead) return c.json({ error: `id: no lead "${c.req.param('id')}"` }, 404);
    const scorer = scorers.get(lead.site_id);
    if (!scorer) return c.json({ error: `site "${lead.site_id}" is no longer configured` }, 409);
    const hits = await db.selectFrom('score_hits').selectAll().where('subject', '=', leadSubject(lead.id)).orderBy('ts').orderBy('event_id').execute();
    const at = now();
    const explained = scorer.explain(
      hits.map((h) => ({ eventId: h.event_id, ruleId: h.rule_id, points: h.points, ts: h.ts })),
      scorer.fitHits(JSON.parse(lead.score_state).traits ?? {}),
      at,
    );
    return c.json({
      leadId: lead.id,
      ruleVersion: lead.rule_version,
      at: new Date(at).toISOString(),
      engagement: explained.engagement,
      fit: explained.fit,
      total: explained.total,
      items: explained.items.map((i) => ({ ...i, ts: i.ts ? new Date(i.ts).toISOString() : null })),
    });
  });

  app.post('/:id/feedback', async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json({ error: 'body is not valid JSON' }, 400);
    }
    const parsed = feedbackSchema.safeParse(body);
    if (!parsed.success) return c.json({ error: describeZodError(parsed.error) }, 400);
    const at = now();
    const result = await db.transaction().execute(async (trx) => {
      const lead = await trx.selectFrom('leads').selectAll().where('id', '=', c.req.param('id')).executeTakeFirst();
      if (!lead) return { status: 404 as const, error: `id: no lead "${c.req.param('id')}"` };
      const next = stageAfterFeedback(lead.stage as Stage, parsed.data);
      if ('error' in next) return { status: 409 as const, error: next.error };
      // Speed to lead: the first feedback after the lead was handed to sales.
      const handover = await trx
        .selectFrom('stage_changes')
        .select('at')
        .where('lead_id', '=', lead.id)
        .where('source', '=', 'scoring')
        .where('to_stage', 'in', ['mql', 'sql'])
        .orderBy('at', 'desc')
        .limit(1)
        .executeTakeFirst();
      const answered = handover && (await trx.selectFrom('feedback').select('id').where('lead_id', '=', lead.id).where('at', '>=', handover.at).limit(1).executeTakeFirst());
      const responseMs = handover && !answered ? at - handover.at : null;
      const reason = 'reason' in parsed.data ? parsed.data.reason : null;
      await trx
        .insertInto('feedback')
        .values({ id: newId('fb'), lead_id: lead.id, type: parsed.data.type, reason, note: parsed.data.note ?? null, by_user: parsed.data.by ?? null, at, handover_at: responseMs !== null ? handover!.at : null, response_ms: responseMs })
        .execute();
      const scorer = scorers.get(lead.site_id);
      const scores = scorer ? scorer.scoresAt(JSON.parse(lead.score_state), at) : { engagement: 0, fit: 0 };
      await recordStageChanges(
        trx,
        lead.id,
        [{ from: lead.stage as Stage, to: next.stage, at, cause: `feedback:${parsed.data.type}${reason ? `:${reason}` : ''}`, engagement: scores.engagement, fit: scores.fit }],
        'api',
        lead.rule_version,
      );
      await trx.updateTable('leads').set({ stage: next.stage, updated_at: at }).where('id', '=', lead.id).execute();
      return { status: 200 as const, leadId: lead.id, from: lead.stage, to: next.stage, responseMs };
    });
    if ('error' in result) return c.json({ error: result.error }, result.status);
    onCommitted?.();
    const lead = await findLead(result.leadId);
    const [presented] = await presentLeads(db, scorers, [lead!], now());
    return c.json({ feedback: { type: parsed.data.type, from: result.from, to: result.to, responseSeconds: result.responseMs === null ? null : result.responseMs / 1000 }, lead: presented });
  });

  return app;
}
