import type { ColumnType, Generated } from 'kysely';
import type { Campaign, EventType, FunnelStage, LeadTraits, PropValue } from '../../../shared/src/types.js';
import type { ScoreState } from '../scoring/engine.js';
import type { Stage } from '../scoring/lifecycle.js';
import type { ScoringRules } from '../scoring/rulesSchema.js';
import type { Json } from './json.js';


/**
 * Every table the ingest reads or writes. Queries are typed from this one interface.
 *
 * Times are epoch milliseconds in BIGINT columns and flags are 0/1 integers, so the same
 * SQL works on SQLite and PostgreSQL; JSON lives in TEXT for the same reason, typed by what it
 * holds (`Json<T>`, read and written through `db/json.ts`). Columns holding one of a few values
 * are typed as their union.
 *
 * Hot tables are keyed by site first (events, visitors, sessions, lead_visitors), so they can be
 * distributed by `site_id` on Citus: see the README's "Scaling".
 */
export interface Database {
  events: EventsTable;
  visitors: VisitorsTable;
  sessions: SessionsTable;
  leads: LeadsTable;
  lead_visitors: LeadVisitorsTable;
  score_hits: ScoreHitsTable;
  stage_changes: StageChangesTable;
  feedback: FeedbackTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  past_links: PastLinksTable;
  identity_log: IdentityLogTable;
  replay_queue: ReplayQueueTable;
  api_keys: ApiKeysTable;
  audit_log: AuditLogTable;
  trait_changes: TraitChangesTable;
  identity_claims: IdentityClaimsTable;
  app_sessions: AppSessionsTable;
  ruleset_versions: RulesetVersionsTable;
  rulesets_in_effect: RulesetsInEffectTable;
  follow_up_breaches: FollowUpBreachesTable;
  rollup_queue: RollupQueueTable;
  rollup_members: RollupMembersTable;
  rollup_counts: RollupCountsTable;
  rollup_page_views: RollupPageViewsTable;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';
export type FeedbackType = 'accepted' | 'rejected' | 'contacted' | 'opportunity' | 'won' | 'lost';
export type IdentityKind = 'linked' | 'switched' | 'refused' | 'merged';
/** Who changed a stage: scoring on new events, the API (sales feedback), or a rescore. */
export type ChangeSource = 'scoring' | 'api' | 'rescore';

/**
 * Subjects whose scores must be replayed from their stored history (a late event, a new link),
 * done off the request path by the replay worker. One row a subject: marks coalesce.
 */
export interface ReplayQueueTable {
  /** `lead:<id>` or `visitor:<site>:<visitorId>`. */
  subject: string;
  site_id: string;
  kind: 'lead' | 'visitor';
  /** The lead id or the visitor id. */
  subject_id: string;
  /** When it was last marked; a replay that started before this must run again. */
  requested_at: number;
  /** A worker's lease: nobody else takes it until then. */
  claimed_until: number | null;
}

export interface WebhooksTable {
  id: string;
  /** Null: every site. */
  site_id: string | null;
  url: string;
  secret: string;
  events: Json<string[]>;
  created_at: number;
}

export interface WebhookDeliveriesTable {
  /** Also the idempotency key the receiver sees (`Leadbeam-Delivery`). */
  id: string;
  webhook_id: string;
  event_type: string;
  lead_id: string;
  /** The body sent, exactly as signed. */
  payload: Json<object>;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: number;
  created_at: number;
  delivered_at: number | null;
}

export interface WebhookAttemptsTable {
  delivery_id: string;
  attempt: number;
  at: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

export interface FeedbackTable {
  id: string;
  lead_id: string;
  type: FeedbackType;
  reason: string | null;
  note: string | null;
  by_user: string | null;
  at: number;
  /** When the lead was handed to sales (qualified), if this is the first feedback since. */
  handover_at: number | null;
  /** Speed to lead: from handover to this, the first response. */
  response_ms: number | null;
}

export interface LeadsTable {
  id: string;
  site_id: string;
  /** Normalised: trimmed and lowercased. */
  email: string;
  traits: Json<LeadTraits>;
  stage: Stage;
  /** What incremental scoring carries between events. */
  score_state: Json<ScoreState>;
  rule_version: string;
  /** Engagement before decay and cap, as of `engagement_at`: decayed at read time. */
  engagement: number;
  engagement_at: number;
  fit: number;
  created_at: number;
  updated_at: number;
  /** Set when this lead was merged into another: lookups by this id answer with that one. */
  merged_into: ColumnType<string | null, string | null | undefined, string | null>;
  /** Counts changes to the lead's events and links; writers bump it (`firstTouch/markFirstTouchesChanged`). */
  touch_seq: ColumnType<number, number | undefined, number>;
  /** The `touch_seq` the first touch below was computed for: current when equal. */
  touch_done: ColumnType<number, number | undefined, number>;
  /** The page of the lead's first page view, with the funnel stage and category it was stored with. */
  touch_path: ColumnType<string | null, string | null | undefined, string | null>;
  touch_stage: ColumnType<FunnelStage | null, FunnelStage | null | undefined, FunnelStage | null>;
  touch_category: ColumnType<string | null, string | null | undefined, string | null>;
  /** UTM source, medium and campaign of the lead's first visit. */
  touch_source: ColumnType<string | null, string | null | undefined, string | null>;
  touch_medium: ColumnType<string | null, string | null | undefined, string | null>;
  touch_campaign: ColumnType<string | null, string | null | undefined, string | null>;
  /** 1 when that visit came from another site (a referrer) without UTM tags. */
  touch_referred: ColumnType<number, number | undefined, number>;
  /** How far the lead has come, as bits (`reachedBits`): 1 handed to sales by scoring, 2 SQL, 4 customer. */
  reached: ColumnType<number, number | undefined, number>;
}

/** The visitor's current lead: its events from `from_ts` on count for that lead. */
export interface LeadVisitorsTable {
  site_id: string;
  visitor_id: string;
  lead_id: string;
  linked_at: number;
  from_ts: ColumnType<number, number | undefined, number>;
}

/** A visitor's earlier link: its events in [from_ts, until_ts) stay with that lead. */
export interface PastLinksTable {
  site_id: string;
  visitor_id: string;
  lead_id: string;
  from_ts: number;
  until_ts: number;
}

export interface IdentityLogTable {
  id: string;
  site_id: string;
  visitor_id: string | null;
  lead_id: string;
  other_lead_id: string | null;
  kind: IdentityKind;
  detail: string;
  at: number;
}

export interface ScoreHitsTable {
  /** `lead:<id>` or `visitor:<site>:<visitorId>`. */
  subject: string;
  event_id: string;
  rule_id: string;
  points: number;
  ts: number;
}

export interface StageChangesTable {
  id: string;
  lead_id: string;
  from_stage: Stage;
  to_stage: Stage;
  at: number;
  /** What moved it: `threshold:mql`, `rule:<id>`, `form:<name>`, `rescore:<version>`, … */
  cause: string;
  source: ChangeSource;
  engagement: number;
  fit: number;
  rule_version: string;
}

export interface SessionsTable {
  site_id: string;
  session_id: string;
  visitor_id: string;
  started_at: number;
  /** The visit's campaign, or null for a direct visit. */
  campaign: Json<Campaign> | null;
}

export interface EventsTable {
  site_id: string;
  /** Sender's event id; with site_id the primary key, which is what makes retries safe. */
  id: string;
  visitor_id: string;
  session_id: string;
  type: EventType;
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
  stage: FunnelStage | null;
  category: string | null;
  campaign: Json<Campaign> | null;
  props: Json<Record<string, PropValue>> | null;
  /** Lead traits (form and identify events). */
  traits: Json<LeadTraits> | null;
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
  /** The visitor's own (anonymous) engagement state, or null before any. */
  score_state: ColumnType<Json<ScoreState> | null, Json<ScoreState> | null | undefined, Json<ScoreState> | null>;
  engagement: ColumnType<number, number | undefined, number>;
  engagement_at: ColumnType<number, number | undefined, number>;
  /** Start (server time, UTC midnight) of the day `day_events` counts: the per-day cap. */
  day_start: ColumnType<number, number | undefined, number>;
  day_events: ColumnType<number, number | undefined, number>;
}

/** What a named API key may do; `admin` includes the others. */
export type KeyScope = 'read' | 'write' | 'admin';

/** Named API keys: only the key's SHA-256 is kept, the key is shown once at creation. */
export interface ApiKeysTable {
  id: string;
  name: string;
  scopes: Json<KeyScope[]>;
  /** The key's first characters, to tell keys apart in a list. */
  prefix: string;
  /** SHA-256 of the key, hex. */
  hash: string;
  created_at: number;
  /** Updated at most once a minute, so reads do not become writes. */
  last_used_at: ColumnType<number | null, number | null | undefined, number | null>;
  revoked_at: ColumnType<number | null, number | null | undefined, number | null>;
}

/** What was done to whom, without personal data: the subject is an opaque id. */
export interface AuditLogTable {
  id: string;
  at: number;
  /** The key (name or `bootstrap`), `cli` or `retention`. */
  actor: string;
  action: 'lead.erased';
  subject: string;
  /** Counts of what was done. */
  detail: Json<Record<string, number>>;
}

/** Every attempt to change a lead's trait, with its source and time, kept or refused. */
export interface TraitChangesTable {
  id: string;
  lead_id: string;
  trait: string;
  value: string | null;
  previous: string | null;
  /** `form:<name>`, `identify`, … */
  source: string;
  visitor_id: string | null;
  /** 1 when it became the trait's value; 0 when the guardrails refused it. */
  accepted: number;
  at: number;
}

/**
 * Who recently created leads or linked new browsers to them, by client (a keyed hash of the
 * address, never the address): limits per client and hour.
 */
export interface IdentityClaimsTable {
  site_id: string;
  client_key: string;
  kind: 'lead' | 'link';
  lead_id: string;
  at: number;
}

/** A dashboard session: the cookie's token hashed, the key holder's name and scopes at sign-in. */
export interface AppSessionsTable {
  /** SHA-256 of the cookie's token, hex. */
  token_hash: string;
  /** The key signed in with (`bootstrap` or a named key's id): revoking it ends the session. */
  key_id: string;
  /** `bootstrap` or the named key's name: who acts, in audit and feedback. */
  holder: string;
  scopes: Json<KeyScope[]>;
  /** The form token that proves a change came from our own page. */
  csrf: string;
  created_at: number;
  expires_at: number;
}

/** Where a rule set version came from. */
export type RulesetSource = 'config' | 'api' | 'app';
/** A version's rescore: queued, under way (claimed by one process), done, failed, or stopped because a newer version took effect. */
export type RescoreState = 'pending' | 'running' | 'done' | 'failed' | 'superseded';

/** Every rule set a site has had, newest last: the config file seeds the first. */
export interface RulesetVersionsTable {
  id: string;
  site_id: string;
  /** `ruleVersion(rules)`: the same rules always have the same version. */
  version: string;
  rules: Json<ScoringRules>;
  source: RulesetSource;
  /** The key's name, `bootstrap`, or `config` for an import of the config file. */
  created_by: string;
  created_at: number;
  note: string | null;
  /** Config imports only: derived from the site, the version and the previous import, so racing processes import once. */
  import_key: string | null;
  /** Null: no rescore needed (the first version). */
  rescore_state: RescoreState | null;
  rescore_claimed_until: number | null;
  /** Leads done, events, moves up and down so far (JSON). */
  rescore_report: Json<{ total: number; leads: number; events: number; up: number; down: number }> | null;
  rescore_started_at: number | null;
  rescore_finished_at: number | null;
  rescore_error: string | null;
}

/** The rule set version in effect per site. */
export interface RulesetsInEffectTable {
  site_id: string;
  ruleset_id: string;
  version: string;
  since: number;
}

/** MQL handovers sales did not answer within the follow-up agreement: one row each, so the webhook is raised once. */
export interface FollowUpBreachesTable {
  /** The stage change that handed the lead to sales. */
  handover_id: string;
  site_id: string;
  lead_id: string;
  qualified_at: number;
  deadline_at: number;
  breached_at: number;
}

/** The keys of events a commit stored, waiting to be folded into the daily rollups (one row a commit and site). */
export interface RollupQueueTable {
  seq: Generated<number>;
  site_id: string;
  /** JSON array of event ids. */
  event_ids: string;
  queued_at: number;
}

/** What a distinct count is over: the site ('v'), a page ('p', dim: its path), a funnel stage and category ('g'). */
export type RollupKind = 'v' | 'p' | 'g';

/** One browser's activity on one UTC day in one dimension, with the day it was last active there before. */
export interface RollupMembersTable {
  site_id: string;
  kind: RollupKind;
  dim: string;
  member: string;
  /** Days since the epoch (UTC). */
  day: number;
  /** -1: no earlier day. */
  prev_day: number;
}

/** How many members were active on `day` having last been active on `prev_day`. */
export interface RollupCountsTable {
  site_id: string;
  kind: RollupKind;
  dim: string;
  day: number;
  prev_day: number;
  members: number;
}

/** Page views a day, by page and the funnel stage and category they were stored with ('' for none). */
export interface RollupPageViewsTable {
  site_id: string;
  day: number;
  path: string;
  stage: string;
  category: string;
  views: number;
}
