import { z } from 'zod';
import { WEBHOOK_EVENTS } from './events.js';
import { secretProblem } from './sign.js';
import { webhookUrlSchema } from './webhookUrl.js';

/**
 * A webhook as it is registered (through the API or the dashboard); its URL must be public
 * unless `allowPrivate`, and its site, when given, one of `siteKeys` (the config file's sites:
 * a webhook for a mistyped site would never fire, and no page would list it).
 *
 * @example
 * const schema = webhookSchema({ allowPrivate: false, siteKeys: new Set(config.sites.map((s) => s.key)) });
 */
export const webhookSchema = ({ allowPrivate = false, siteKeys }: { allowPrivate?: boolean; siteKeys?: ReadonlySet<string> } = {}) =>
  z
    .object({
      url: webhookUrlSchema({ allowPrivate, privateHint: 'for a receiver on your own machine in development, start the ingest with LEADBEAM_ALLOW_PRIVATE_WEBHOOKS=true' }),
      /**
       * The signing secret; made up (`whsec_` + base64 of 32 random bytes) and returned once
       * when not given. A given `whsec_` secret must be base64 of 24–64 bytes; other secrets of
       * at least 16 characters are still accepted (see `standardSecret` in sign.ts).
       */
      secret: z
        .string()
        .max(256, 'at most 256 characters')
        .superRefine((s, ctx) => {
          const problem = secretProblem(s);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        })
        .optional(),
      events: z.array(z.enum(WEBHOOK_EVENTS)).min(1),
      /** Only this site's leads; every site when absent. */
      site: z
        .string()
        .superRefine((site, ctx) => {
          if (siteKeys && !siteKeys.has(site)) ctx.addIssue({ code: 'custom', message: `no site "${site}" in the config file (sites: ${[...siteKeys].join(', ')})` });
        })
        .optional(),
    })
    .strict();

/** A webhook to register, as `webhookSchema` parses it. */
export type WebhookInput = z.output<ReturnType<typeof webhookSchema>>;
