import type { Kysely } from 'kysely';
import { toJson } from '../db/json.js';
import type { Database } from '../db/schema.js';
import { newId } from '../ids.js';
import { presentWebhook, type PresentedWebhook } from './presentWebhook.js';
import { generateSecret, standardSecret } from './sign.js';
import type { WebhookInput } from './webhookSchema.js';

/** A new webhook with its secret: the only time anyone sees it. */
export interface RegisteredWebhook extends PresentedWebhook {
  secret: string;
  /** What a Standard Webhooks library verifies with (the secret itself when it is `whsec_…`). */
  standardSecret: string;
}

/**
 * Registers a webhook (validated with `webhookSchema`), making up its secret when none is
 * given. Returns it with the secret, which nothing shows again.
 *
 * @example
 * const hook = await registerWebhook(db, webhookSchema().parse({ url: 'https://crm.example/hook', events: ['lead.mql'] }));
 * hook.secret // 'whsec_…'
 */
export async function registerWebhook(db: Kysely<Database>, input: WebhookInput, { now = Date.now }: { now?: () => number } = {}): Promise<RegisteredWebhook> {
  const secret = input.secret ?? generateSecret();
  const row = { id: newId('wh'), site_id: input.site ?? null, url: input.url, secret, events: toJson<string[]>(input.events), created_at: now() };
  await db.insertInto('webhooks').values(row).execute();
  return { ...presentWebhook(row), secret, standardSecret: standardSecret(secret) };
}
