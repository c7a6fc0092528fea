import type { Kysely } from 'kysely';
import { trackedEventSchema } from '../../../shared/src/schemas.js';
import { toEventRow } from '../collect/toEventRow.js';
import { createPageClassifier } from '../config/pageRules.js';
import type { LeadbeamConfig } from '../config/schema.js';
import type { Database, EventsTable } from '../db/schema.js';
import { ApiError } from '../http/apiError.js';
import { recordFeedback } from '../leads/recordFeedback.js';
import { createEventWriter } from '../pipeline/createEventWriter.js';
import { createScorer, type Scorer } from '../scoring/engine.js';
import { createSegmentMapper } from '../segment/toEvents.js';
import { createRandom } from './createRandom.js';
import { DEMO_HISTORY_GAP_MS, planDemoHistory, type DemoRequest } from './planDemoHistory.js';
import { planSalesResponse, type SalesStep } from './planSalesResponse.js';

/** The site the demo data is for: the demo site's key in the shipped config. */
export const DEMO_SITE_KEY = 'demo';

/** What the demo data added, for the start banner. */
export interface DemoDataReport {
  visitors: number;
  leads: number;
  events: number;
  feedback: number;
  ms: number;
}

/** Requests within this span commit together (see the loop). */
const GROUP_SPAN_MS = 4 * 3_600_000;
const GROUP_MAX_EVENTS = 800;

interface PendingFeedback {
  at: number;
  leadId: string;
  steps: SalesStep[];
  next: number;
}

/**
 * Fills an empty database with the demo site's history (see `planDemoHistory`), so the
 * dashboard has something to show on the first start. Everything goes through the real code:
 * events through the write pipeline (`createEventWriter`) with their own, back-dated times, so
 * scores, rule hits, leads and stage changes are what the rules give; sales feedback through
 * `recordFeedback` at believable delays after each handover, answering what scoring actually
 * did. Does nothing (resolves undefined) when the database holds any event or the config has no
 * `demo` site.
 *
 * The history is not news: webhook deliveries its stage changes queued (for webhooks registered
 * before the first event) are removed before anything could send them. The start path seeds
 * before it syncs the config's webhooks and starts the dispatcher, so normally there are none.
 *
 * @example
 * const report = await seedDemoData(db, config, { now: Date.now(), visitors: 300 });
 * if (report) console.log(`${report.leads} demo leads`);
 */
export async function seedDemoData(
  db: Kysely<Database>,
  config: LeadbeamConfig,
  { now = Date.now(), visitors = 300, seed = 'northwind-ledger', scorers }: { now?: number; visitors?: number; seed?: string; scorers?: Map<string, Scorer> } = {},
): Promise<DemoDataReport | undefined> {
  const started = performance.now();
  const site = config.sites.find((s) => s.key === DEMO_SITE_KEY);
  if (!site) return undefined;
  if (await db.selectFrom('events').select('id').limit(1).executeTakeFirst()) return undefined;
  const scorer = scorers?.get(site.key) ?? createScorer(site.scoring);
  const siteScorers = new Map([[site.key, scorer]]);
  const end = now - DEMO_HISTORY_GAP_MS;
  const origin = site.allowedOrigins[0] ?? 'http://localhost:3000';
  const requests = planDemoHistory({ now, visitors, origin, seed });

  const classify = createPageClassifier(site.pages);
  const toServerEvent = createSegmentMapper();
  const rowsOf = (q: DemoRequest): EventsTable[] =>
    q.kind === 'browser'
      ? q.events.map((e) => {
          const valid = trackedEventSchema.parse(e);
          return toEventRow(site.key, valid, { ts: valid.ts, receivedAt: q.at, classify });
        })
      : q.messages.map((m) => {
          // The demo's server-side messages are its CRM's and backend's: a secret key's.
          const out = toServerEvent(site, m, { receivedAt: q.at, trusted: true });
          if (!('row' in out)) throw new Error(`demo data: a planned server-side message was not mapped: ${JSON.stringify(out)}`);
          return out.row;
        });

  const writer = createEventWriter({ db, scorers: siteScorers });
  const salesRandom = createRandom(seed).fork('sales');
  const handled = new Set<string>();
  const handovers = new Map<string, number>();
  const pending: PendingFeedback[] = [];
  const schedule = (f: PendingFeedback) => {
    if (f.at >= end) return;
    let i = pending.length;
    while (i > 0 && pending[i - 1]!.at > f.at) i--;
    pending.splice(i, 0, f);
  };

  /** Leads that scoring handed to sales (a replay may date a handover days back): each gets what sales does about it. */
  const answerHandovers = async () => {
    const changes = await db
      .selectFrom('stage_changes')
      .innerJoin('leads', 'leads.id', 'stage_changes.lead_id')
      .select(['stage_changes.id', 'stage_changes.lead_id', 'stage_changes.to_stage', 'stage_changes.at', 'leads.email', 'leads.fit'])
      .where('leads.site_id', '=', site.key)
      .where('stage_changes.source', '=', 'scoring')
      .where('stage_changes.to_stage', 'in', ['mql', 'sql'])
      .orderBy('stage_changes.at')
      .orderBy('leads.email')
      .execute();
    for (const c of changes) {
      if (handled.has(c.id)) continue;
      handled.add(c.id);
      const n = (handovers.get(c.email) ?? 0) + 1;
      handovers.set(c.email, n);
      const steps = planSalesResponse(salesRandom.fork(`${c.email}:${n}`), { to: c.to_stage as 'mql' | 'sql', fit: c.fit });
      if (!steps.length) continue;
      // Sales answers after what the lead did so far, never in the middle of it.
      const last = await db
        .selectFrom('events')
        .innerJoin('lead_visitors', (j) => j.onRef('lead_visitors.site_id', '=', 'events.site_id').onRef('lead_visitors.visitor_id', '=', 'events.visitor_id'))
        .select((eb) => eb.fn.max('events.ts').as('ts'))
        .where('lead_visitors.lead_id', '=', c.lead_id)
        .executeTakeFirst();
      schedule({ at: Math.max(c.at + steps[0]!.afterMs, Number(last?.ts ?? 0) + 30_000), leadId: c.lead_id, steps, next: 0 });
    }
  };

  let feedback = 0;
  try {
    for (let i = 0; i < requests.length || pending.length; ) {
      const q = requests[i];
      if (pending.length && (!q || pending[0]!.at <= q.at)) {
        const f = pending.shift()!;
        try {
          await recordFeedback(db, siteScorers, f.leadId, f.steps[f.next]!.feedback, f.at);
          feedback++;
        } catch (err) {
          // The lead moved on meanwhile (a booked meeting made it an SQL): this chain ends.
          if (err instanceof ApiError && err.status === 409) continue;
          throw err;
        }
        const next = f.steps[f.next + 1];
        if (next) schedule({ ...f, at: f.at + next.afterMs, next: f.next + 1 });
        continue;
      }
      // Requests close in time commit together, as concurrent requests do: one transaction for
      // many (measured: one commit a request took 12 s on PostgreSQL), never past feedback due.
      const group: DemoRequest[] = [];
      let events = 0;
      for (; i < requests.length && requests[i]!.at < q!.at + GROUP_SPAN_MS && (!pending.length || requests[i]!.at < pending[0]!.at) && events < GROUP_MAX_EVENTS; i++) {
        group.push(requests[i]!);
        events += requests[i]!.kind === 'browser' ? (requests[i] as { events: unknown[] }).events.length : 2;
      }
      const outcomes = await Promise.all(group.map((r) => writer.submit({ rows: rowsOf(r), receivedAt: r.at, trusted: r.kind === 'server' })));
      const refused = outcomes.flatMap((o) => o.refused);
      if (refused.length) throw new Error(`demo data: the pipeline refused planned events: ${refused.map((r) => r.error).join('; ')}`);
      await answerHandovers();
    }
  } finally {
    await writer.close();
  }
  // History is not news: nothing about it goes to webhook receivers.
  await db.deleteFrom('webhook_deliveries').where('lead_id', 'in', db.selectFrom('leads').select('id').where('site_id', '=', site.key)).execute();

  const count = async (table: 'visitors' | 'leads' | 'events') => Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).where('site_id', '=', site.key).executeTakeFirstOrThrow()).n);
  return { visitors: await count('visitors'), leads: await count('leads'), events: await count('events'), feedback, ms: Math.round(performance.now() - started) };
}
