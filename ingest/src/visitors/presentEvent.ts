import { fromJsonOrNull } from '../db/json.js';
import type { EventsTable } from '../db/schema.js';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A stored event as other systems see it: times in ISO 8601, JSON columns as objects. The
 * visitors API and a person's export show events the same way.
 *
 * @example
 * const events = rows.map(presentEvent);
 */
export function presentEvent(e: EventsTable) {
  return {
    id: e.id,
    type: e.type,
    name: e.name,
    ts: iso(e.ts),
    clientTs: iso(e.client_ts),
    receivedAt: iso(e.received_at),
    visitorId: e.visitor_id,
    sessionId: e.session_id,
    visit: e.visit,
    firstVisit: e.visit === 1,
    url: e.url,
    path: e.path,
    referrer: e.referrer,
    title: e.title,
    stage: e.stage,
    category: e.category,
    campaign: fromJsonOrNull(e.campaign),
    props: fromJsonOrNull(e.props),
    traits: fromJsonOrNull(e.traits),
  };
}
