import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { holds } from '../../auth/createKeyVerifier.js';
import type { FeedbackType } from '../../db/schema.js';
import { ApiError } from '../../http/apiError.js';
import { feedbackSchema, REJECT_REASONS, stageAfterFeedback, type Feedback } from '../../leads/feedback.js';
import { findLeadRef } from '../../leads/findLeadRef.js';
import { mergeLeads } from '../../leads/mergeLeads.js';
import { recordFeedback } from '../../leads/recordFeedback.js';
import { leadProfile } from '../../reports/leadProfile.js';
import { leadScoreHistory } from '../../reports/leadScoreHistory.js';
import { leadTimeline, type TimelineItem } from '../../reports/leadTimeline.js';
import type { Scorer } from '../../scoring/engine.js';
import type { ScoringRules } from '../../scoring/rulesSchema.js';
import type { Stage } from '../../scoring/lifecycle.js';
import type { DashboardDeps, DashboardEnv } from '../dashboardEnv.js';
import { Chart } from '../layout/Chart.js';
import { formatDuration, formatScore, formatTime, stageLabel } from '../layout/format.js';
import { pageHref } from '../layout/links.js';
import { describeCause } from './describeCause.js';
import { REASON_LABELS, reasonLabel } from './reasonLabel.js';
import { scoreChartRange } from './scoreChartRange.js';
import { TableScroll } from '../layout/TableScroll.js';

const optional = <T extends z.ZodTypeAny>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const pageQuery = z.object({
  before: optional(z.string().max(200)),
  done: optional(z.enum(['feedback', 'merged'])),
  merged: optional(z.string().max(100)),
});

/** The feedback the page offers: every answer the API takes. */
const FEEDBACK_TYPES = ['accepted', 'rejected', 'contacted', 'opportunity', 'won', 'lost'] as const;
/** The page's one feedback form: the pressed button gives `type`; each reason has its own field (`reason` is read too). */
const feedbackForm = z.object({
  type: z.enum(FEEDBACK_TYPES),
  reason: optional(z.string().max(40)),
  rejectReason: optional(z.string().max(40)),
  lostReason: optional(z.string().trim().max(40)),
  outcome: optional(z.enum(['recycle', 'disqualify'])),
  note: optional(z.string().max(2000)),
});
const mergeForm = z.object({ other: z.string().trim().min(1, 'give the other lead’s email or id').max(320) });

const FEEDBACK_LABELS: Record<(typeof FEEDBACK_TYPES)[number], string> = { accepted: 'Accept', rejected: 'Reject', contacted: 'Contacted', opportunity: 'Opportunity opened', won: 'Won', lost: 'Lost' };
const IDENTITY_LABELS = { linked: 'Browser linked', switched: 'Browser switched leads', refused: 'Link refused', merged: 'Leads merged' } as const;
const EVENT_LABELS: Record<string, string> = { pageview: 'Page view', download: 'Download', form: 'Form', click: 'Click', engagement: 'Time on page', track: 'Event', identify: 'Identified', vitals: 'Web vitals', screen: 'Screen view' };

/** Whether feedback of this type fits the lead's stage now (the same rule recordFeedback applies). */
const fits = (stage: Stage, type: FeedbackType) => !('error' in stageAfterFeedback(stage, { type, reason: 'other', outcome: 'recycle' } as Feedback));

const leadPath = (id: string) => `/app/leads/${encodeURIComponent(id)}`;

/** A refused action, shown on the lead's page again: what was typed and why, in words. */
interface ActionState {
  feedback?: { problem: string; field?: string | undefined; note?: string | undefined; rejectReason?: string | undefined; outcome?: string | undefined; lostReason?: string | undefined };
  merge?: { other: string; problem: string };
}

function TimelineEntry({ item, rulesOf }: { item: TimelineItem; rulesOf: Map<string, ScoringRules> }) {
  const time = <time datetime={new Date(item.at).toISOString()}>{formatTime(item.at)}</time>;
  switch (item.kind) {
    case 'event': {
      const earned = item.hits.reduce((a, h) => a + h.points, 0);
      return (
        <li class="tl-event">
          <div class="tl-head">
            {time} <strong>{EVENT_LABELS[item.type] ?? item.type}</strong>
            {item.name ? <> · {item.name}</> : null} <span class="tl-path">{item.path}</span>
            {item.stage ? <span class="badge">{item.stage}</span> : null}
            {item.category ? <span class="badge muted">{item.category}</span> : null}
            {item.hits.length ? <span class={earned >= 0 ? 'pts pos' : 'pts neg'}>{`${earned >= 0 ? '+' : ''}${formatScore(earned)} points`}</span> : null}
          </div>
          {item.title ? <div class="tl-sub">{item.title}</div> : null}
          {item.campaign && (item.campaign.source || item.campaign.campaign) ? (
            <div class="tl-sub">Campaign: {[item.campaign.source, item.campaign.medium, item.campaign.campaign].filter(Boolean).join(' / ')}</div>
          ) : null}
          {item.hits.length ? (
            <ul class="tl-hits">
              {item.hits.map((h) => (
                <li>
                  <span class={h.points >= 0 ? 'pos' : 'neg'}>{`${h.points >= 0 ? '+' : ''}${formatScore(h.points)}`}</span> rule <code>{h.ruleId}</code>
                  {h.description ? <>: {h.description}</> : null}
                  {h.inEffect ? null : <em> (no longer in the rule set)</em>}
                  <span class="tl-decay"> · now worth {formatScore(h.remaining)} after decay</span>
                </li>
              ))}
            </ul>
          ) : null}
        </li>
      );
    }
    case 'stage':
      return (
        <li class="tl-stage">
          <div class="tl-head">
            {time} <strong>Stage</strong> {stageLabel(item.from)} → <strong>{stageLabel(item.to)}</strong>
          </div>
          <div class="tl-sub">
            {describeCause(item.cause, rulesOf.get(item.ruleVersion))}; engagement {formatScore(item.engagement)}, fit {formatScore(item.fit)} then
          </div>
        </li>
      );
    case 'feedback':
      return (
        <li class="tl-feedback">
          <div class="tl-head">
            {time} <strong>Sales feedback</strong> {item.type}
            {item.reason ? <> ({reasonLabel(item.reason)})</> : null}
            {item.by ? <> by {item.by}</> : null}
          </div>
          {item.responseMs !== null ? <div class="tl-sub">Answered {formatDuration(item.responseMs)} after the handover</div> : null}
          {item.note ? <div class="tl-sub tl-note">{item.note}</div> : null}
        </li>
      );
    case 'identity':
      return (
        <li class={item.identity === 'refused' ? 'tl-identity warn' : 'tl-identity'}>
          <div class="tl-head">
            {time} <strong>{IDENTITY_LABELS[item.identity]}</strong>
          </div>
          <div class="tl-sub">{item.detail}</div>
        </li>
      );
  }
}

/**
 * `GET /app/leads/:id`: one lead — profile (traits with source and time), the score over
 * time, the timeline (events with the points each rule gave and why, decay, stage changes
 * with causes, feedback, identity log) in pages of 50 — and its actions: sales feedback
 * (`write` scope, through `recordFeedback` like the API) and merge (`admin`, through
 * `mergeLeads` like the API). A merged lead's id leads to the lead it was merged into.
 *
 * @example
 * dashboard.route('/', createLeadPage(deps));
 */
export function createLeadPage({ db, scorers, now = Date.now, onCommitted }: DashboardDeps) {
  const app = new Hono<DashboardEnv>();

  /** The lead of the URL, within the site shown. */
  const leadOf = async (c: Context<DashboardEnv>) => {
    const id = c.req.param('id') ?? '';
    const profile = await leadProfile(db, scorers, id, now());
    if (!profile || profile.lead.site_id !== c.get('site').key) throw new ApiError(404, 'not_found', `id: no lead "${id}" on site ${c.get('site').key}`, { field: 'id' });
    return profile;
  };
  const back = (c: Context<DashboardEnv>, id: string, params: Record<string, string>) => c.redirect(pageHref(c, leadPath(id), params), 303);

  /** The lead's page; after a refused action, with what was typed and why beside the form (`state`). */
  const renderLead = async (c: Context<DashboardEnv>, id: string, state: ActionState = {}) => {
    const query = pageQuery.safeParse(c.req.query());
    if (!query.success) throw ApiError.fromZod(query.error);
    const profile = await leadProfile(db, scorers, id, now());
    if (profile && profile.lead.site_id !== c.get('site').key && c.get('sites').some((s) => s.key === profile.lead.site_id)) {
      return c.redirect(`${leadPath(profile.lead.id)}?site=${encodeURIComponent(profile.lead.site_id)}`, 302);
    }
    if (!profile || profile.lead.site_id !== c.get('site').key) throw new ApiError(404, 'not_found', `id: no lead "${id}"`, { field: 'id' });
    if (profile.mergedFrom) return c.redirect(pageHref(c, leadPath(profile.lead.id), { merged: profile.mergedFrom }), 302);
    const { lead, scores } = profile;
    const scorer = scorers.get(lead.site_id);
    const at = now();
    const [history, timeline] = await Promise.all([
      scorer ? leadScoreHistory(db, scorer, lead, profile.mergedIds, at) : undefined,
      leadTimeline(db, scorer, lead, { before: query.data.before, limit: 50 }, at),
    ]);
    const session = c.get('session');
    const mayFeedback = holds(session, 'write');
    const mayMerge = holds(session, 'admin');
    const csrf = <input type="hidden" name="_csrf" value={session.csrf} />;
    const action = (what: string) => pageHref(c, `${leadPath(lead.id)}/${what}`);
    const { done, merged } = query.data;
    const historyX = history ? history.at.map((t) => Math.round(t / 1000)) : [];
    const quick = (['accepted', 'contacted', 'opportunity', 'won'] as const).filter((t) => fits(lead.stage, t));
    const mayReject = fits(lead.stage, 'rejected');
    const mayLose = fits(lead.stage, 'lost');
    return c.render(
      <>
        {done === 'feedback' ? (
          <p class="notice" role="status">
            Feedback saved: the lead is now {stageLabel(lead.stage)}.
          </p>
        ) : done === 'merged' ? (
          <p class="notice" role="status">
            Merged: {merged ?? 'the other lead'} is now part of this lead.
          </p>
        ) : merged ? (
          <p class="notice" role="status">
            Lead {merged} was merged into this one.
          </p>
        ) : null}
        <p class="lead-email">
          <span class="badge">{stageLabel(lead.stage)}</span>
          {profile.traits.find((t) => t.trait === 'company') ? <> at {profile.traits.find((t) => t.trait === 'company')!.value}</> : null}
        </p>
        <div class="cards">
          <div class="card">
            <div class="value num">{formatScore(scores.total)}</div>
            <div class="label">Score</div>
          </div>
          <div class="card">
            <div class="value num">{formatScore(scores.fit)}</div>
            <div class="label">Fit</div>
          </div>
          <div class="card">
            <div class="value num">{formatScore(scores.engagement)}</div>
            <div class="label">Engagement (after decay)</div>
          </div>
        </div>
        <p class="muted">
          Times in UTC. Created {formatTime(Number(lead.created_at))}; rule set {lead.rule_version}
          {scorer ? `; each engagement point halves every ${scorer.rules.halfLifeDays} days from when it was earned` : ''}.
        </p>

        {mayFeedback || mayMerge ? (
          <section aria-labelledby="actions" class="panel actions">
            <h2 id="actions">Actions</h2>
            {mayFeedback && (quick.length || mayReject || mayLose) ? (
              // One form, so the note goes with whichever answer is given; each button names its answer.
              <form method="post" action={action('feedback')} class="feedback-form" id="feedback-form">
                {csrf}
                {/* The default button, first and disabled: Enter in a text field answers nothing for the person. */}
                <button type="submit" disabled hidden aria-hidden="true" tabindex={-1}></button>
                {state.feedback ? (
                  <p role="alert" id="feedback-error">
                    {state.feedback.problem}
                  </p>
                ) : null}
                <div class="field">
                  <label for="fb-note">Note for the record (optional)</label>
                  <textarea id="fb-note" name="note" rows={2} maxlength={2000} aria-describedby="fb-note-help">
                    {state.feedback?.note ?? ''}
                  </textarea>
                  <span id="fb-note-help" class="muted">
                    Kept with whichever answer you give below.
                  </span>
                </div>
                {quick.length ? (
                  <div class="inline-form">
                    {quick.map((t) => (
                      <button type="submit" name="type" value={t} formnovalidate class={t === 'contacted' ? 'secondary' : undefined}>
                        {FEEDBACK_LABELS[t]}
                      </button>
                    ))}
                  </div>
                ) : null}
                {mayReject ? (
                  <div class="inline-form">
                    <label for="rj-reason">Reject because</label>
                    <select id="rj-reason" name="rejectReason">
                      {REJECT_REASONS.map((r) => (
                        <option value={r} selected={state.feedback?.rejectReason === r}>
                          {REASON_LABELS[r]}
                        </option>
                      ))}
                    </select>
                    <label for="rj-outcome">Then</label>
                    <select id="rj-outcome" name="outcome">
                      <option value="recycle">back to nurture</option>
                      <option value="disqualify" selected={state.feedback?.outcome === 'disqualify'}>
                        disqualify
                      </option>
                    </select>
                    <button type="submit" name="type" value="rejected" formnovalidate class="danger">
                      Reject
                    </button>
                  </div>
                ) : null}
                {mayLose ? (
                  <div class="inline-form">
                    <label for="lost-reason">Lost because</label>
                    <input
                      id="lost-reason"
                      name="lostReason"
                      type="text"
                      required
                      maxlength={40}
                      data-enter-clicks="lost-button"
                      value={state.feedback?.lostReason ?? ''}
                      aria-invalid={state.feedback?.field === 'lostReason' ? 'true' : undefined}
                      aria-describedby={state.feedback?.field === 'lostReason' ? 'feedback-error' : undefined}
                    />
                    <button type="submit" name="type" value="lost" id="lost-button" class="danger">
                      Lost
                    </button>
                  </div>
                ) : null}
              </form>
            ) : null}
            {mayMerge ? (
              <form method="post" action={action('merge')} class="inline-form" data-confirm={`Merge the other lead into ${lead.email}? Its browsers, history and traits move here; this cannot be undone.`}>
                {csrf}
                <label for="merge-other">Merge another lead into this one (email or lead id)</label>
                <input
                  id="merge-other"
                  name="other"
                  type="text"
                  required
                  maxlength={320}
                  value={state.merge?.other ?? ''}
                  aria-invalid={state.merge ? 'true' : undefined}
                  aria-describedby={state.merge ? 'merge-error' : undefined}
                />
                <button type="submit" class="secondary">
                  Merge…
                </button>
                {state.merge ? (
                  <p role="alert" id="merge-error" class="field-error">
                    {state.merge.problem}
                  </p>
                ) : null}
              </form>
            ) : null}
          </section>
        ) : null}

        <section aria-labelledby="profile">
          <h2 id="profile">Profile</h2>
          <div class="panel">
            <TableScroll label="Traits, with the change that set each">
              <table>
                <caption class="sr-only">Traits, with the change that set each</caption>
                <thead>
                  <tr>
                    <th scope="col">Trait</th>
                    <th scope="col">Value</th>
                    <th scope="col">Source</th>
                    <th scope="col">Since (UTC)</th>
                  </tr>
                </thead>
                <tbody>
                  {profile.traits.map((t) => (
                    <tr>
                      <th scope="row">{t.trait}</th>
                      <td>{t.value}</td>
                      <td>{t.source ?? '–'}</td>
                      <td>{formatTime(t.at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
            {profile.refusedTraits.length ? (
              <details>
                <summary>{profile.refusedTraits.length} refused trait changes</summary>
                <ul>
                  {profile.refusedTraits.map((r) => (
                    <li>
                      {formatTime(r.at)} {r.trait} = {r.value ?? '∅'} from {r.source}
                    </li>
                  ))}
                </ul>
              </details>
            ) : null}
          </div>
        </section>

        {history ? (
          <section aria-labelledby="score-history">
            <h2 id="score-history">Score over time</h2>
            <Chart
              title="Score (end of each day, UTC)"
              x={historyX}
              xRange={scoreChartRange(historyX)}
              xStep={86_400}
              series={[
                { label: 'Total', values: history.total },
                { label: 'Fit', values: history.fit },
                { label: 'Engagement', values: history.engagement },
              ]}
            />
          </section>
        ) : null}

        <section aria-labelledby="browsers">
          <h2 id="browsers">Linked browsers</h2>
          <div class="panel">
            <TableScroll label="Browsers whose events count for this lead">
              <table>
                <caption class="sr-only">Browsers whose events count for this lead</caption>
                <thead>
                  <tr>
                    <th scope="col">Visitor id</th>
                    <th scope="col">Linked (UTC)</th>
                    <th scope="col" class="num">Visits</th>
                    <th scope="col">Last seen (UTC)</th>
                  </tr>
                </thead>
                <tbody>
                  {profile.browsers.map((b) => (
                    <tr>
                      <th scope="row">
                        <code>{b.visitorId}</code>
                      </th>
                      <td>
                        {formatTime(b.linkedAt)}
                        {b.until ? ` – ${formatTime(b.until)} (earlier link)` : ''}
                      </td>
                      <td class="num">{b.until ? '–' : b.visits}</td>
                      <td>{formatTime(b.lastSeenAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
            {profile.mergedIds.length ? <p>Merged into this lead: {profile.mergedIds.join(', ')}</p> : null}
          </div>
        </section>

        <section aria-labelledby="timeline">
          <h2 id="timeline">Timeline</h2>
          {query.data.before ? (
            <p>
              <a href={pageHref(c, leadPath(lead.id))}>Back to the newest</a>
            </p>
          ) : null}
          <ol class="timeline">
            {timeline.items.map((item) => (
              <TimelineEntry item={item} rulesOf={timeline.rulesOf} />
            ))}
          </ol>
          {timeline.items.length === 0 ? <p>Nothing recorded yet.</p> : null}
          {timeline.olderCursor ? (
            <nav class="pager" aria-label="Timeline pages">
              <a href={pageHref(c, leadPath(lead.id), { before: timeline.olderCursor })} rel="next">
                Older
              </a>
            </nav>
          ) : null}
        </section>
      </>,
      { title: lead.email, charts: !!history },
    );
  };

  app.get('/leads/:id', (c) => renderLead(c, c.req.param('id')));
  // The address a refused action leaves in the browser (the site switch, a reload) leads to the page.
  app.get('/leads/:id/:action{feedback|merge}', (c) => c.redirect(pageHref(c, leadPath(c.req.param('id'))), 302));

  app.post('/leads/:id/feedback', async (c) => {
    if (!holds(c.get('session'), 'write')) throw new ApiError(403, 'forbidden', 'scope: sales feedback needs a key with write scope');
    const { lead } = await leadOf(c);
    const body = await c.req.parseBody();
    const form = feedbackForm.safeParse(body);
    if (!form.success) throw ApiError.fromZod(form.error);
    const { type, outcome, note } = form.data;
    const reason = type === 'rejected' ? (form.data.rejectReason ?? form.data.reason) : type === 'lost' ? (form.data.lostReason ?? form.data.reason) : undefined;
    const by = c.get('session').name;
    // A refusal shows the page again, with what was typed and why.
    const refuse = (status: 400 | 409, problem: string, field?: string) => {
      c.status(status);
      const typed = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : undefined);
      return renderLead(c, lead.id, { feedback: { problem, field, note: typed('note'), rejectReason: typed('rejectReason') ?? typed('reason'), outcome: typed('outcome'), lostReason: typed('lostReason') } });
    };
    const feedback = feedbackSchema.safeParse(type === 'rejected' ? { type, reason, outcome, note, by } : type === 'lost' ? { type, reason, note, by } : { type, note, by });
    if (!feedback.success) {
      if (type === 'lost') return refuse(400, 'Say why the deal was lost (at most 40 characters), then press Lost.', 'lostReason');
      if (type === 'rejected') return refuse(400, 'Choose a reason for the rejection from the list, then press Reject.', 'rejectReason');
      throw ApiError.fromZod(feedback.error);
    }
    try {
      await recordFeedback(db, scorers, lead.id, feedback.data, now());
    } catch (err) {
      // Feedback that does not fit the stage: the page offers only what fits, but the lead may have moved since.
      if (!(err instanceof ApiError && err.status === 409)) throw err;
      const { lead: current } = await leadOf(c);
      return refuse(409, `This lead is ${stageLabel(current.stage)} now: “${FEEDBACK_LABELS[type]}” does not fit that stage. Nothing was recorded.`);
    }
    onCommitted?.();
    return back(c, lead.id, { done: 'feedback' });
  });

  app.post('/leads/:id/merge', async (c) => {
    if (!holds(c.get('session'), 'admin')) throw new ApiError(403, 'forbidden', 'scope: merging leads needs a key with admin scope');
    const { lead } = await leadOf(c);
    const body = await c.req.parseBody();
    const typed = typeof body.other === 'string' ? body.other : '';
    // A refusal shows the page again, the field keeping what was typed, the reason beside it.
    const refuse = (status: 400 | 404 | 409, problem: string) => {
      c.status(status);
      return renderLead(c, lead.id, { merge: { other: typed, problem } });
    };
    const form = mergeForm.safeParse(body);
    if (!form.success) return refuse(400, typed.length > 320 ? 'That is too long for an email or a lead id.' : 'Give the email or the id of the lead to merge into this one.');
    const other = await findLeadRef(db, lead.site_id, form.data.other);
    if (!other) return refuse(404, `No lead of this site has the email or id “${form.data.other}”. Check it for typing mistakes.`);
    if (other.id === lead.id) return refuse(409, `“${form.data.other}” is this lead itself: give another lead’s email or id.`);
    try {
      await mergeLeads(db, scorers, lead.id, other.id, now());
    } catch (err) {
      // Another request may have merged either lead meanwhile: say so, without the API's field names.
      if (err instanceof ApiError && (err.status === 404 || err.status === 409)) return refuse(err.status, `${other.email} cannot be merged into this lead: ${err.message.replace(/^\w+: /, '')}.`);
      throw err;
    }
    onCommitted?.();
    return back(c, lead.id, { done: 'merged', merged: other.email });
  });

  return app;
}
