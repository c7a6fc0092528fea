import type { Kysely } from 'kysely';
import type { LeadbeamConfig, SiteConfig } from '../config/schema.js';
import type { Database } from '../db/schema.js';
import type { Scorer } from '../scoring/engine.js';
import type { DashboardSession } from './sessions/createSessionStore.js';

/** What the dashboard's pages need: the same stores and scorers as the API, never more. */
export interface DashboardDeps {
  db: Kysely<Database>;
  /** Where the report pages read (overview, content, leads): on SQLite a worker thread's own connection (`db/reportReader/`), so a long report never stops the server; `db` when absent. */
  reportsDb?: Kysely<Database>;
  config: LeadbeamConfig;
  /** One scorer a site (shared with the write path, so a published rule set shows at once). */
  scorers: Map<string, Scorer>;
  secretKey: string;
  now?: () => number;
  /** Called after a change that may have queued webhook deliveries (feedback, merge). */
  onCommitted?: () => void;
  /** Let webhooks target loopback and private hosts (local development only). */
  allowPrivateWebhooks?: boolean;
}

/** Set by the session middleware on every page behind sign-in. */
export interface DashboardEnv {
  Variables: {
    session: DashboardSession;
    /** The site the pages show: `?site=`, else the first configured site. */
    site: SiteConfig;
    /** Every configured site, for the site switch. */
    sites: SiteConfig[];
  };
}
