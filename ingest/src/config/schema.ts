import { z } from 'zod';
import { funnelStageSchema } from '../../../shared/src/schemas.js';
import { globPattern, scoringSchema } from '../scoring/rulesSchema.js';
import { WEBHOOK_EVENTS } from '../webhooks/events.js';
import { webhookUrlSchema } from '../webhooks/webhookUrl.js';

/** A URL rule: pages whose path matches get this funnel stage and category. */
export const pageRuleSchema = z
  .object({
    match: globPattern('path').pipe(z.string().startsWith('/', 'must start with "/"')),
    stage: funnelStageSchema.optional(),
    category: z.string().min(1).max(100).optional(),
  })
  .strict()
  .refine((r) => r.stage || r.category, 'give a stage, a category or both');

const originSchema = z
  .string()
  .refine((o) => {
    try {
      return new URL(o).origin === o;
    } catch {
      return false;
    }
  }, 'must be an origin like "https://www.example.com" (scheme, host, optional port, no path)');

export const siteSchema = z
  .object({
    key: z.string().regex(/^[\w.-]{1,100}$/, 'letters, digits, ".", "-" and "_" only'),
    name: z.string().min(1).optional(),
    allowedOrigins: z.array(originSchema).default([]),
    /** Anonymous visitors (never linked to a lead) are deleted after this many days unseen. */
    anonymousRetentionDays: z.number().int().min(1).max(36500).default(365),
    /** Known leads with no activity for this many days are erased (as `DELETE /v1/leads/{id}`); unset: kept. */
    leadRetentionDays: z.number().int().min(1).max(36500).optional(),
    /** Drop events from crawlers and headless browsers, recognised by their user agent. */
    ignoreBots: z.boolean().default(true),
    pages: z.array(pageRuleSchema).default([]),
    /** Webhooks for this site's leads (more can be registered through the API). */
    webhooks: z
      .array(
        z
          .object({
            // Public targets only, like the API's: a config file is no way around the SSRF check.
            url: webhookUrlSchema(),
            secret: z.string().min(16, 'use at least 16 characters'),
            events: z.array(z.enum(WEBHOOK_EVENTS)).min(1),
          })
          .strict(),
      )
      .default([]),
    /** The follow-up agreement with sales: an MQL unanswered this many minutes after its handover is overdue and raises `lead.sla_breached` once. */
    followUp: z
      .object({ mqlResponseMinutes: z.number().int().min(1).max(43_200).default(60) })
      .strict()
      .default({ mqlResponseMinutes: 60 }),
    /** Lead scoring: engagement and fit rules, caps, decay, thresholds. */
    scoring: scoringSchema.default(scoringSchema.parse({})),
    /** File types whose links count as downloads (the script reports every link to a file). */
    downloads: z
      .array(z.string().regex(/^\.?\w{1,10}$/, 'a file extension such as "pdf"'))
      .default(['pdf', 'doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'pps', 'key', 'csv', 'txt', 'rtf', 'epub', 'zip', '7z', 'rar', 'gz', 'pkg', 'dmg', 'exe', 'mp3', 'mp4', 'mov', 'avi', 'wav']),
  })
  .strict();

export const configSchema = z
  .object({
    sites: z.array(siteSchema).min(1, 'declare at least one site'),
  })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.sites.forEach((site, i) => {
      if (seen.has(site.key)) ctx.addIssue({ code: 'custom', path: ['sites', i, 'key'], message: `duplicate site key "${site.key}"` });
      seen.add(site.key);
    });
  });

export type LeadbeamConfig = z.infer<typeof configSchema>;
export type SiteConfig = z.infer<typeof siteSchema>;
export type PageRule = z.infer<typeof pageRuleSchema>;
