import { Hono } from 'hono';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../db/schema.js';
import type { Scorer } from '../scoring/engine.js';
import { STAGES } from '../scoring/lifecycle.js';
import { normaliseEmail } from './email.js';
import { ApiError } from '../http/apiError.js';
import { parseJsonBody } from '../http/parseJsonBody.js';
import { feedbackSchema } from './feedback.js';
import { recordFeedback } from './recordFeedback.js';
import { fromJson } from '../db/json.js';
import { leadSubject } from './leadStore.js';
import { presentLeads } from './presentLead.js';
import { mergeLeads } from './mergeLeads.js';
import { eraseLead } from '../privacy/eraseLead.js';
import { exportLead } from '../privacy/exportLead.js';

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

  /** A lead by id; a merged lead's id answers with the lead it was merged into. */
  const findLead = async (id: string) => {
    let lead = await db.selectFrom('leads').selectAll().where('id', '=', id).executeTakeFirst();
    for (let hops = 0; lead?.merged_into && hops < 10; hops++) lead = await db.selectFrom('leads').selectAll().where('id', '=', lead.merged_into).executeTakeFirst();
    return lead;
  };
  const noLead = (id: string, field = 'id') => new ApiError(404, 'not_found', `${field}: no lead "${id}"`, { field });

  app.get('/', async (c) => {
    const query = listQuerySchema.safeParse(c.req.query());
    if (!query.success) throw ApiError.fromZod(query.error);
    const { email, site, stage, minScore, updatedSince, limit, cursor } = query.data;
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    if (cursor !== undefined && !after) throw new ApiError(400, 'invalid_request', 'cursor: not a cursor this API gave out', { field: 'cursor' });
    let q = db.selectFrom('leads').selectAll();
    if (email !== undefined) {
      const normal = normaliseEmail(email);
      if (!normal) throw new ApiError(400, 'invalid_request', `email: "${email}" is not an email address`, { field: 'email' });
      const matches = await db.selectFrom('leads').select('id').where('email', '=', normal).execute();
      const found = (await Promise.all(matches.map((m) => findLead(m.id)))).filter((l): l is NonNullable<typeof l> => !!l && (!site || l.site_id === site));
      const unique = [...new Map(found.map((l) => [l.id, l])).values()];
      return c.json({ leads: await presentLeads(db, scorers, unique, now()), nextCursor: null });
    }
    q = q.where('merged_into', 'is', null);
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

  app.get('/:id', async (c) => {
    const lead = await findLead(c.req.param('id'));
    if (!lead) throw noLead(c.req.param('id'));
    const [presented] = await presentLeads(db, scorers, [lead], now());
    return c.json(presented);
  });

  app.get('/:id/score', async (c) => {
    const lead = await findLead(c.req.param('id'));
    if (!lead) throw noLead(c.req.param('id'));
    const scorer = scorers.get(lead.site_id);
    if (!scorer) throw new ApiError(409, 'conflict', `site "${lead.site_id}" is no longer configured`);
    const hits = await db.selectFrom('score_hits').selectAll().where('subject', '=', leadSubject(lead.id)).orderBy('ts').orderBy('event_id').orderBy('rule_id').execute();
    const at = now();
    const explained = scorer.explain(
      hits.map((h) => ({ eventId: h.event_id, ruleId: h.rule_id, points: h.points, ts: h.ts })),
      scorer.fitHits(fromJson(lead.score_state).traits ?? {}),
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

  // Everything held about one person (an access request), as a JSON download.
  app.get('/:id/export', async (c) => {
    const data = await exportLead(db, c.req.param('id'));
    if (!data) throw noLead(c.req.param('id'));
    return c.json(data, 200, { 'Content-Disposition': `attachment; filename="leadbeam-${c.req.param('id')}.json"` });
  });

  // Erases one person everywhere (an erasure request); an audit entry without personal data remains.
  app.delete('/:id', async (c) => {
    const report = await eraseLead(db, c.req.param('id'), { actor: 'api', now: now() });
    if (!report) throw noLead(c.req.param('id'));
    return c.json({ erased: report });
  });

  app.post('/:id/merge', async (c) => {
    const parsed = await parseJsonBody(c, z.object({ leadId: z.string().min(1) }).strict());
    const result = await mergeLeads(db, scorers, c.req.param('id'), parsed.leadId, now());
    onCommitted?.();
    const [presented] = await presentLeads(db, scorers, [(await findLead(result.id))!], now());
    return c.json(presented);
  });

  app.post('/:id/feedback', async (c) => {
    const parsed = await parseJsonBody(c, feedbackSchema);
    const result = await recordFeedback(db, scorers, c.req.param('id'), parsed, now());
    onCommitted?.();
    const lead = await findLead(result.leadId);
    const [presented] = await presentLeads(db, scorers, [lead!], now());
    return c.json({ feedback: { type: parsed.type, from: result.from, to: result.to, responseSeconds: result.responseMs === null ? null : result.responseMs / 1000 }, lead: presented });
  });

  return app;
}
