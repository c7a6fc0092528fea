import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { isbot } from 'isbot';
import type { Kysely } from 'kysely';
import {
  MAX_BATCH_BYTES,
  MAX_EVENT_BYTES,
  describeZodError,
  eventBatchEnvelopeSchema,
  trackedEventSchema,
} from '../../../shared/src/schemas.js';
import type { CollectResult } from '../../../shared/src/types.js';
import type { ValidEvent } from '../../../shared/src/schemas.js';
import { campaignOf } from './campaign.js';
import { createPageClassifier } from '../config/pageRules.js';
import type { LeadbeamConfig, SiteConfig } from '../config/schema.js';
import type { Database, EventsTable } from '../db/schema.js';
import { dropSensitiveValues } from '../../../sdk/src/sensitive.js';
import { correctClockSkew } from './correctClockSkew.js';
import { storeEvents } from './storeEvents.js';
import type { Scorer } from '../scoring/engine.js';
import { scoreNewEvents } from '../scoring/scoreEvents.js';

export interface CollectOptions {
  db: Kysely<Database>;
  config: LeadbeamConfig;
  scorers: Map<string, Scorer>;
  now?: () => number;
  /** Called after events are committed (to send webhooks at once). */
  onCommitted?: () => void;
}

type Site = SiteConfig & {
  classifyPage: ReturnType<typeof createPageClassifier>;
  countsAsDownload: (e: ValidEvent) => boolean;
  scorer: Scorer;
};

/**
 * The script reports every click on a link to a file; the site's `downloads` list says which
 * file types count (links marked as downloads in markup always do). Other events pass.
 */
function createDownloadFilter(types: string[]) {
  const counted = new Set(types.map((t) => t.toLowerCase().replace(/^\./, '')));
  return (e: ValidEvent) => {
    if (e.type !== 'download' || e.props?.marked) return true;
    const file = String(e.props?.url ?? e.name ?? '');
    return counted.has(/\.(\w+)$/.exec(file)?.[1]?.toLowerCase() ?? '');
  };
}

/**
 * `POST /v1/collect`: takes a batch of events as JSON or `text/plain` JSON (what sendBeacon
 * sends), keeps every valid event once, and answers 2xx only after they are committed.
 *
 * @example
 * app.route('/v1/collect', createCollectRoute({ db, config }));
 */
export function createCollectRoute({ db, config, scorers, now = Date.now, onCommitted }: CollectOptions) {
  const sites = new Map<string, Site>(
    config.sites.map((s) => [
      s.key,
      { ...s, classifyPage: createPageClassifier(s.pages), countsAsDownload: createDownloadFilter(s.downloads), scorer: scorers.get(s.key)! },
    ]),
  );
  const app = new Hono();

  app.post(
    '/',
    bodyLimit({
      maxSize: MAX_BATCH_BYTES,
      onError: (c) => c.json({ error: `body is larger than ${MAX_BATCH_BYTES} bytes; send smaller batches` }, 413),
    }),
    async (c) => {
      const receivedAt = now();
      let body: unknown;
      try {
        body = JSON.parse(await c.req.text());
      } catch {
        return c.json({ error: 'body is not valid JSON: expected {"site", "sentAt", "events": [...]}' }, 400);
      }
      const envelope = eventBatchEnvelopeSchema.safeParse(body);
      if (!envelope.success) return c.json({ error: describeZodError(envelope.error) }, 400);
      const { site: siteKey, sentAt, events } = envelope.data;

      const site = sites.get(siteKey);
      if (!site) return c.json({ error: `site: unknown site key "${siteKey}"` }, 404);
      const origin = c.req.header('origin');
      if (origin && !site.allowedOrigins.includes(origin)) {
        return c.json({ error: `origin ${origin} is not allowed for site "${siteKey}"` }, 403);
      }
      if (site.ignoreBots && isbot(c.req.header('user-agent') ?? '')) {
        return c.json({ accepted: 0, duplicates: 0, ignored: events.length, rejected: [] } satisfies CollectResult, 202);
      }

      const rejected: CollectResult['rejected'] = [];
      let ignored = 0;
      const rows: EventsTable[] = [];
      events.forEach((raw, index) => {
        const id = typeof (raw as { id?: unknown })?.id === 'string' ? (raw as { id: string }).id : undefined;
        if (JSON.stringify(raw).length > MAX_EVENT_BYTES) {
          rejected.push({ index, id, error: `event is larger than ${MAX_EVENT_BYTES} bytes` });
          return;
        }
        const parsed = trackedEventSchema.safeParse(raw);
        if (!parsed.success) {
          rejected.push({ index, id, error: describeZodError(parsed.error) });
          return;
        }
        if (!site.countsAsDownload(parsed.data)) {
          ignored++;
          return;
        }
        rows.push(toRow(site, parsed.data, { sentAt, receivedAt }));
      });

      if (rows.length === 0) {
        const result: CollectResult = { accepted: 0, duplicates: 0, ignored, rejected };
        return rejected.length ? c.json(result, 400) : c.json(result, 202);
      }
      let stored;
      try {
        stored = await storeEvents(db, rows, (trx, inserted) => scoreNewEvents(trx, site.scorer, site.key, inserted, receivedAt));
      } catch (err) {
        console.error('leadbeam: storing events failed', err);
        // 503 tells the script to keep the events and retry; nothing was committed.
        return c.json({ error: 'storage is unavailable; nothing was stored, retry later' }, 503, { 'Retry-After': '5' });
      }
      const { inserted, duplicates } = stored;
      if (inserted.length) onCommitted?.();
      return c.json({ accepted: inserted.length, duplicates, ...(ignored && { ignored }), rejected } satisfies CollectResult, 200);
    },
  );
  return app;
}

function toRow(site: Site, e: ValidEvent, { sentAt, receivedAt }: { sentAt: number; receivedAt: number }): EventsTable {
  const path = e.path ?? new URL(e.url).pathname;
  const page = site.classifyPage(path, { stage: e.stage, category: e.category });
  return {
    site_id: site.key,
    id: e.id,
    visitor_id: e.visitorId,
    session_id: e.sessionId,
    type: e.type,
    name: e.type === 'download' && e.name ? safeDecode(e.name) : (e.name ?? null),
    ts: correctClockSkew({ clientTs: e.ts, sentAt, receivedAt }),
    client_ts: e.ts,
    received_at: receivedAt,
    visit: e.visit,
    url: e.url,
    path,
    referrer: e.referrer || null,
    title: e.title ?? null,
    stage: page.stage ?? null,
    category: page.category ?? null,
    // The event's own campaign; events without one get their visit's when stored.
    campaign: jsonOrNull({ ...e.campaign, ...campaignOf(e.url, e.referrer) }),
    props: jsonOrNull(e.props && dropSensitiveValues(e.props)),
    traits: jsonOrNull(e.traits),
  };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function jsonOrNull(value: object | undefined): string | null {
  return value && Object.keys(value).length ? JSON.stringify(value) : null;
}
