import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { holds } from '../../auth/createKeyVerifier.js';
import { ApiError } from '../../http/apiError.js';
import { WEBHOOK_EVENTS } from '../../webhooks/events.js';
import { listDeliveries } from '../../webhooks/listDeliveries.js';
import { listWebhooks } from '../../webhooks/listWebhooks.js';
import { registerWebhook, type RegisteredWebhook } from '../../webhooks/registerWebhook.js';
import { removeWebhook } from '../../webhooks/removeWebhook.js';
import { resendDelivery } from '../../webhooks/resendDelivery.js';
import { webhookSchema } from '../../webhooks/webhookSchema.js';
import type { DashboardDeps, DashboardEnv } from '../dashboardEnv.js';
import { pageHref } from '../layout/links.js';
import { shortTime } from '../layout/shortTime.js';
import { requireScope } from '../sessions/requireScope.js';
import { TableScroll } from '../layout/TableScroll.js';

const EVENT_HELP: Partial<Record<string, string>> = {
  'lead.created': 'a form or identify call made a new lead',
  'lead.mql': 'a lead qualified (MQL)',
  'lead.sql': 'a lead became sales-qualified',
  'lead.stage_changed': 'any stage change',
  'lead.recycled': 'sales sent a lead back to nurture',
  'lead.merged': 'two leads were merged',
  'lead.sla_breached': 'an MQL got no sales feedback within the follow-up agreement',
};
const SHOWN_DELIVERIES = 50;

const addFormSchema = z.object({
  url: z.string().trim().min(1, 'give the receiver’s URL'),
  events: z.union([z.enum(WEBHOOK_EVENTS), z.array(z.enum(WEBHOOK_EVENTS))], { message: 'choose at least one event' }).transform((e) => (Array.isArray(e) ? e : [e])),
  scope: z.enum(['site', 'all']).default('site'),
  secret: z
    .string()
    .trim()
    .transform((s) => s || undefined)
    .optional(),
});
const idSchema = z.string().regex(/^[\w-]{1,64}$/, 'not an id');
const idOf = (c: Context<DashboardEnv>) => {
  const id = idSchema.safeParse(c.req.param('id'));
  if (!id.success) throw new ApiError(404, 'not_found', 'id: not an id', { field: 'id' });
  return id.data;
};
const noticeSchema = z.object({ removed: z.string().optional(), resent: z.string().optional() });

const when = (iso: string | null) => (iso ? shortTime(Date.parse(iso)) : '–');

/**
 * A webhook's URL as a session may see it (also any URL in an attempt's error: a redirect to
 * the same address over https repeats its secret). URLs are capability secrets (a Slack or Zapier hook
 * holds its token in the path or query) and the API lists them to admin keys only: other
 * sessions see the scheme and host.
 *
 * @example
 * shownUrl('https://hooks.slack.example/services/T0/B0/token', false) // 'https://hooks.slack.example/…'
 */
export function shownUrl(url: string, admin: boolean): string {
  if (admin) return url;
  try {
    const { protocol, host } = new URL(url);
    return `${protocol}//${host}/…`;
  } catch {
    return '…';
  }
}

/**
 * `/app/webhooks`: the webhooks that send this site's leads, a form to add one (its secret is
 * shown once), removal, and each webhook's delivery log with every attempt and a resend. Any
 * session may look; changes need `admin`, as in the API. The same domain functions as
 * `/v1/webhooks`.
 *
 * @example
 * dashboard.route('/', createWebhooksPage(deps));
 */
export function createWebhooksPage({ db, config, now = Date.now, onCommitted, allowPrivateWebhooks = false }: DashboardDeps) {
  const app = new Hono<DashboardEnv>();
  const schema = webhookSchema({ allowPrivate: allowPrivateWebhooks, siteKeys: new Set(config.sites.map((s) => s.key)) });

  const renderList = async (c: Context<DashboardEnv>, state: { created?: RegisteredWebhook; problem?: { message: string; field?: string }; form?: Record<string, unknown> } = {}) => {
    const site = c.get('site');
    const admin = holds(c.get('session'), 'admin');
    const hooks = await listWebhooks(db, { site: site.key });
    const notice = noticeSchema.safeParse(c.req.query());
    const chosen = new Set<string>([state.form?.events ?? []].flat() as string[]);
    return c.render(
      <>
        {state.created ? (
          <div class="notice" role="status" id="created-webhook">
            <p>
              Webhook added. Its signing secret is shown <strong>only now</strong>: copy it into the receiver.
            </p>
            <p>
              <label for="new-secret">Secret</label>
              <input id="new-secret" readonly value={state.created.secret} size={60} />
            </p>
            {state.created.standardSecret !== state.created.secret ? (
              <p>
                <label for="new-standard-secret">Secret for Standard Webhooks libraries</label>
                <input id="new-standard-secret" readonly value={state.created.standardSecret} size={60} />
              </p>
            ) : null}
          </div>
        ) : null}
        {notice.success && notice.data.removed ? (
          <p class="notice" role="status">
            Webhook {notice.data.removed} removed.
          </p>
        ) : null}
        {state.problem ? <p role="alert">{state.problem.message}</p> : null}

        <section aria-labelledby="hooks">
          <h2 id="hooks">Webhooks for {site.name ?? site.key}</h2>
          {hooks.length ? (
            <div class="panel">
              <TableScroll label="Webhooks that send this site’s leads">
                <table id="webhooks">
                  <caption class="sr-only">Webhooks that send this site’s leads</caption>
                  <thead>
                    <tr>
                      <th scope="col">URL</th>
                      <th scope="col">Events</th>
                      <th scope="col">Leads of</th>
                      <th scope="col" class="hide-narrow">Added (UTC)</th>
                      <th scope="col">
                        <span class="sr-only">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {hooks.map((h) => (
                      <tr data-webhook={h.id}>
                        <th scope="row">
                          <a href={pageHref(c, `/app/webhooks/${h.id}`)}>{shownUrl(h.url, admin)}</a>
                        </th>
                        <td>{h.events.join(', ')}</td>
                        <td>{h.site ?? 'every site'}</td>
                        <td class="hide-narrow">{when(h.createdAt)}</td>
                        <td>
                          <a href={pageHref(c, `/app/webhooks/${h.id}`)} aria-label={`Delivery log of ${shownUrl(h.url, admin)}`}>
                            Delivery log
                          </a>
                          {h.source === 'config' ? (
                            <span class="badge">config file</span>
                          ) : admin ? (
                            <form method="post" action={pageHref(c, `/app/webhooks/${h.id}/remove`)} data-confirm={`Remove the webhook to ${h.url}? Deliveries still waiting are given up.`} class="inline">
                              <input type="hidden" name="_csrf" value={c.get('session').csrf} />
                              <button type="submit" class="danger" aria-label={`Remove the webhook to ${h.url}`}>
                                Remove
                              </button>
                            </form>
                          ) : null}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableScroll>
            </div>
          ) : (
            <p class="notice">No webhook sends this site’s leads yet.</p>
          )}
        </section>

        {admin ? (
          <section aria-labelledby="add">
            <h2 id="add">Add a webhook</h2>
            <form method="post" action={pageHref(c, '/app/webhooks')} class="panel stack" id="add-webhook">
              <input type="hidden" name="_csrf" value={c.get('session').csrf} />
              <p>
                <label for="url">Receiver URL</label>
                <input id="url" name="url" type="url" required size={60} value={typeof state.form?.url === 'string' ? state.form.url : ''} aria-invalid={state.problem?.field === 'url' ? 'true' : undefined} />
              </p>
              <fieldset aria-invalid={state.problem?.field?.startsWith('events') ? 'true' : undefined}>
                <legend>Events</legend>
                {WEBHOOK_EVENTS.map((e) => (
                  <label class="check">
                    <input type="checkbox" name="events" value={e} checked={chosen.has(e)} /> <code>{e}</code> <span class="muted">{EVENT_HELP[e]}</span>
                  </label>
                ))}
              </fieldset>
              <p>
                <label for="scope">Leads of</label>
                <select id="scope" name="scope">
                  <option value="site">{`this site (${site.key})`}</option>
                  <option value="all" selected={state.form?.scope === 'all'}>
                    every site
                  </option>
                </select>
              </p>
              <p>
                <label for="secret">Signing secret (optional: leave empty to have one made)</label>
                <input id="secret" name="secret" type="password" autocomplete="off" size={60} aria-invalid={state.problem?.field === 'secret' ? 'true' : undefined} />
              </p>
              <button type="submit">Add webhook</button>
            </form>
          </section>
        ) : (
          <p class="muted">Adding and removing webhooks needs a key with admin scope.</p>
        )}
      </>,
      { title: 'Webhooks' },
    );
  };

  app.get('/webhooks', (c) => renderList(c));

  app.post('/webhooks', async (c) => {
    requireScope(c, 'admin', 'add webhooks');
    const form = await c.req.parseBody({ all: true });
    const parsed = addFormSchema.safeParse(form);
    const input = parsed.success ? schema.safeParse({ url: parsed.data.url, events: parsed.data.events, secret: parsed.data.secret, ...(parsed.data.scope === 'site' && { site: c.get('site').key }) }) : parsed;
    if (!input.success) {
      const error = ApiError.fromZod(input.error);
      c.status(400);
      return renderList(c, { problem: { message: error.message, ...(error.field && { field: error.field }) }, form });
    }
    const created = await registerWebhook(db, input.data, { now });
    // Shown here, once: the page is not cached (no-store) and the secret is not stored anywhere we show.
    c.status(201);
    return renderList(c, { created, form: {} });
  });

  app.post('/webhooks/:id/remove', async (c) => {
    requireScope(c, 'admin', 'remove webhooks');
    const id = idOf(c);
    await removeWebhook(db, id);
    return c.redirect(pageHref(c, '/app/webhooks', { removed: id }), 303);
  });

  app.post('/webhooks/deliveries/:id/resend', async (c) => {
    requireScope(c, 'admin', 'resend deliveries');
    const id = idOf(c);
    const { webhookId } = await resendDelivery(db, id, { now });
    onCommitted?.();
    return c.redirect(pageHref(c, `/app/webhooks/${webhookId}`, { resent: id }), 303);
  });

  app.get('/webhooks/:id', async (c) => {
    const id = c.req.param('id');
    const hook = (await listWebhooks(db, { site: c.get('site').key })).find((h) => h.id === id);
    if (!hook) throw new ApiError(404, 'not_found', `id: no webhook "${id}" sends this site’s leads`, { field: 'id' });
    const admin = holds(c.get('session'), 'admin');
    const deliveries = await listDeliveries(db, id, { limit: SHOWN_DELIVERIES });
    const notice = noticeSchema.safeParse(c.req.query());
    return c.render(
      <>
        <p>
          <a href={pageHref(c, '/app/webhooks')}>All webhooks</a>
        </p>
        <dl class="facts">
          <dt>URL</dt>
          <dd>
            {shownUrl(hook.url, admin)}
            {admin ? null : <span class="muted"> (the whole address needs a key with admin scope)</span>}
          </dd>
          <dt>Events</dt>
          <dd>{hook.events.join(', ')}</dd>
          <dt>Leads of</dt>
          <dd>{hook.site ?? 'every site'}</dd>
        </dl>
        {notice.success && notice.data.resent ? (
          <p class="notice" role="status">
            Delivery {notice.data.resent} is being sent again. Reload to see the attempt.
          </p>
        ) : null}
        <h2 id="log">Delivery log</h2>
        <p class="muted">The {SHOWN_DELIVERIES} latest deliveries, newest first, each with every attempt. Times in UTC.</p>
        {deliveries.length ? (
          <div class="panel">
            <TableScroll label="Delivery log">
              <table id="deliveries" aria-labelledby="log">
                <thead>
                  <tr>
                    <th scope="col">Delivery</th>
                    <th scope="col">Event</th>
                    <th scope="col">Lead</th>
                    <th scope="col">Status</th>
                    <th scope="col">Attempts</th>
                    <th scope="col">
                      <span class="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {deliveries.map((d) => (
                    <tr data-delivery={d.id}>
                      <th scope="row">
                        <code>{d.id}</code>
                        <br />
                        <span class="muted">{when(d.createdAt)}</span>
                      </th>
                      <td>{d.type}</td>
                      <td>
                        {/* The email the payload carried (what the receiver got), else the lead's id. */}
                        <a href={pageHref(c, `/app/leads/${d.leadId}`)}>{(d.payload as { lead?: { email?: string | null } }).lead?.email ?? d.leadId}</a>
                      </td>
                      <td>
                        <span class={d.status === 'failed' ? 'badge warn' : 'badge'}>{d.status}</span>
                        {d.nextAttemptAt ? <div class="muted">next {when(d.nextAttemptAt)}</div> : null}
                      </td>
                      <td>
                        {d.attempts.length ? (
                          <ol class="attempts">
                            {d.attempts.map((a) => (
                              <li data-attempt={a.attempt}>
                                {when(a.at)}: <strong>{a.statusCode ?? 'no answer'}</strong>
                                {a.error ? <span class="neg"> {admin ? a.error : a.error.replace(/https?:\/\/[^\s"'<>]+/g, (u) => shownUrl(u, false))}</span> : null} <span class="muted">({a.durationMs} ms)</span>
                              </li>
                            ))}
                          </ol>
                        ) : (
                          <span class="muted">not sent yet</span>
                        )}
                      </td>
                      <td>
                        {admin && d.status !== 'pending' ? (
                          <form method="post" action={pageHref(c, `/app/webhooks/deliveries/${d.id}/resend`)} class="inline">
                            <input type="hidden" name="_csrf" value={c.get('session').csrf} />
                            <button type="submit" class="secondary" aria-label={`Resend delivery ${d.id}`}>
                              Resend
                            </button>
                          </form>
                        ) : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          </div>
        ) : (
          <p class="notice">No deliveries yet.</p>
        )}
      </>,
      { title: 'Webhook deliveries' },
    );
  });
  return app;
}
