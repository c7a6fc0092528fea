
/**
 * Every table the ingest reads or writes. Queries are typed from this one interface.
 *
 * Times are epoch milliseconds in BIGINT columns and flags are 0/1 integers, so the same
 * SQL works on SQLite and PostgreSQL; JSON lives in TEXT for the same reason.
 */
export interface Database {
  events: EventsTable;
  visitors: VisitorsTable;
  sessions: SessionsTable;
}

export interface SessionsTable {
  site_id: string;
  session_id: string;
  visitor_id: string;
  started_at: number;
  /** JSON campaign of the visit, or null for a direct visit. */
  campaign: string | null;
}

export interface EventsTable {
  site_id: string;
  /** Sender's event id; with site_id the primary key, which is what makes retries safe. */
  id: string;
  visitor_id: string;
  session_id: string;
  type: string;
  name: string | null;
  /** Event time on the server's clock (client time corrected for skew). */
  ts: number;
  /** Event time as the client's clock said. */
  client_ts: number;
  received_at: number;
  visit: number;
  url: string;
  path: string;
  referrer: string | null;
  title: string | null;
  stage: string | null;
  category: string | null;
  /** JSON object or null. */
  campaign: string | null;
  /** JSON object or null. */
  props: string | null;
  /** JSON object of lead traits (form and identify events) or null. */
  traits: string | null;
}

export interface VisitorsTable {
  site_id: string;
  visitor_id: string;
  first_seen_at: number;
  last_seen_at: number;
  /** Highest visit number seen: 1 means the visitor has only ever come once. */
  visits: number;
  events: number;
  pageviews: number;
  pageviews_top: number;
  pageviews_middle: number;
  pageviews_bottom: number;
  updated_at: number;
}
