import type { Context } from 'hono';
import type { DashboardEnv } from '../dashboardEnv.js';

/**
 * A link within the dashboard that keeps the chosen site (and any other parameters given).
 * Empty parameters are left out, so filters that are not set leave no trace in the URL.
 *
 * @example
 * pageHref(c, '/app/leads', { stage: 'mql' }) // '/app/leads?site=demo&stage=mql'
 */
export function pageHref(c: Context<DashboardEnv>, path: string, params: Record<string, string | number | undefined | null> = {}): string {
  const query = new URLSearchParams();
  const sites = c.get('site');
  if (sites) query.set('site', sites.key);
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') query.set(name, String(value));
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}
