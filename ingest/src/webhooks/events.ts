import type { Stage } from '../scoring/lifecycle.js';

/** `lead.sla_breached`: sales did not answer an MQL within the site's follow-up agreement (raised once, by `followUp/`). */
export const WEBHOOK_EVENTS = ['lead.created', 'lead.mql', 'lead.sql', 'lead.stage_changed', 'lead.recycled', 'lead.merged', 'lead.sla_breached'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/**
 * The webhook events a stage change raises.
 *
 * @example
 * eventsFor({ from: 'lead', to: 'mql' }) // ['lead.stage_changed', 'lead.mql']
 */
export function eventsFor(change: { from: Stage; to: Stage }): WebhookEvent[] {
  const types: WebhookEvent[] = ['lead.stage_changed'];
  if (change.from === 'visitor' && change.to === 'lead') types.push('lead.created');
  if (change.to === 'mql') types.push('lead.mql');
  if (change.to === 'sql') types.push('lead.sql');
  if (change.to === 'recycled') types.push('lead.recycled');
  return types;
}
