import { fromJson } from '../db/json.js';
import type { WebhooksTable } from '../db/schema.js';

/** A webhook as the API and the dashboard show it: never its secret. */
export interface PresentedWebhook {
  id: string;
  url: string;
  events: string[];
  /** Only this site's leads; null: every site. */
  site: string | null;
  /** Defined in the config file (removed there), or registered through the API or the dashboard. */
  source: 'config' | 'api';
  createdAt: string;
}

/**
 * A stored webhook without its secret.
 *
 * @example
 * presentWebhook(row) // { id: 'wh_…', url: 'https://crm.example/hook', events: ['lead.mql'], site: 'demo', source: 'api', createdAt: '2026-…' }
 */
export function presentWebhook(h: WebhooksTable): PresentedWebhook {
  return {
    id: h.id,
    url: h.url,
    events: fromJson(h.events),
    site: h.site_id,
    source: h.id.startsWith('wh_cfg_') ? 'config' : 'api',
    createdAt: new Date(h.created_at).toISOString(),
  };
}
