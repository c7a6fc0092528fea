import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { holds } from '../../auth/createKeyVerifier.js';
import { backtestRules, type Backtest } from '../../backtest/backtestRules.js';
import { ApiError } from '../../http/apiError.js';
import { listRulesets } from '../../rulesets/listRulesets.js';
import { publishRuleset } from '../../rulesets/publishRuleset.js';
import type { RulesetVersion } from '../../rulesets/rulesetRows.js';
import { rescoreRuleset } from '../../rulesets/rescoreRuleset.js';
import { ruleHits, type RuleHits } from '../../rulesets/ruleHits.js';
import type { DashboardDeps, DashboardEnv } from '../dashboardEnv.js';
import { createReportCache } from '../layout/createReportCache.js';
import { pageHref } from '../layout/links.js';
import { FiguresAge } from '../layout/FiguresAge.js';
import { shortTime } from '../layout/shortTime.js';
import { requireScope } from '../sessions/requireScope.js';
import { BacktestResults } from './BacktestResults.js';
import { RulesInEffect } from './RulesInEffect.js';
import { parseDraft } from './parseDraft.js';
import { MAX_DRAFT_NUMBER, applyDraftEdits, readDraftEdits } from './applyDraftEdits.js';
import { DraftQuickEdit } from './DraftQuickEdit.js';
import { TableScroll } from '../layout/TableScroll.js';

const HIT_DAYS = 30;
const SHOWN_VERSIONS = 20;
const draftForm = z.object({
  rules: z.string().max(200_000, 'rules: at most 200,000 characters'),
  // An empty field is no threshold (coerced, it would be 0).
  threshold: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().finite().min(-MAX_DRAFT_NUMBER).max(MAX_DRAFT_NUMBER).optional()),
  note: z.string().trim().max(2000).optional(),
  /** Set by the draft form (`DraftQuickEdit`): its numbers change the draft before the backtest. */
  edit: z.literal('1').optional(),
});
const noticeQuery = z.object({ published: z.string().max(40).optional(), unchanged: z.string().max(40).optional() });

const at = (iso: string | null) => (iso ? shortTime(Date.parse(iso)) : '–');

/** The draft form's field for a rules path (`thresholds.mql.engagement` → `mqlEngagement`), else the path. */
function formFieldOf(path: string | undefined): string | undefined {
  if (path === 'thresholds.mql.engagement') return 'mqlEngagement';
  if (path === 'thresholds.mql.fit') return 'mqlFit';
  if (path === 'halfLifeDays') return 'halfLifeDays';
  return path;
}

/** The rescore after a version, in words. */
function rescoreText(r: NonNullable<RulesetVersion['rescore']>): string {
  const moved = `${r.up} moved up, ${r.down} down`;
  if (r.state === 'pending') return 'Rescore queued: it starts within seconds.';
  if (r.state === 'running') return `Rescoring: ${r.leads} of ${r.total} leads done, ${moved} so far.`;
  if (r.state === 'done') return `Rescore done at ${at(r.finishedAt)}: ${r.leads} leads, ${r.events} events, ${moved}.`;
  if (r.state === 'superseded') return `Rescore stopped after ${r.leads} of ${r.total} leads: a newer version took effect.`;
  return `Rescore failed after ${r.leads} of ${r.total} leads: ${r.error ?? 'unknown error'}`;
}

/**
 * `/app/scoring`: the rule set in effect (version, who, when) with each rule's hits over 30
 * days, the versions with their rescores, the site's follow-up agreement (read only), and a
 * JSON draft editor whose draft can be backtested against the stored history and sales
 * outcomes, calibrated, and published (admin) as a new version that rescores every lead.
 * Everything through the rule set functions of `rulesets/` and `backtest/`, as the API.
 *
 * @example
 * dashboard.route('/', createScoringPage(deps));
 */
export function createScoringPage({ db, reportsDb = db, scorers, now = Date.now, onCommitted }: DashboardDeps) {
  const app = new Hono<DashboardEnv>();
  // Hits over 30 days count every rule hit of the period: kept a minute per version, and read
  // through the report reader (on SQLite a worker thread: the server goes on answering).
  const hitsCache = createReportCache<RuleHits[]>({ ttlMs: 60_000, now });

  const render = async (
    c: Context<DashboardEnv>,
    draft: {
      text?: string;
      /** `inForm`: a number of the draft form's, marked there rather than on the JSON. */
      problem?: { message: string; field?: string; inForm?: boolean };
      notice?: string;
      result?: Backtest;
      /** What the draft form posted, shown again after a refusal. */
      posted?: Record<string, unknown>;
    },
  ) => {
    const site = c.get('site');
    const scorer = scorers.get(site.key);
    if (!scorer) throw new ApiError(404, 'not_found', `site: no scorer for "${site.key}"`, { field: 'site' });
    const [versions, hits] = await Promise.all([
      listRulesets(db, site.key, { limit: SHOWN_VERSIONS }),
      hitsCache(`${site.key}:${scorer.version}`, () => ruleHits(reportsDb, site.key, { days: HIT_DAYS, now: now(), rules: scorer.rules })),
    ]);
    const inEffect = versions.find((v) => v.inEffect);
    const latestRescore = versions.find((v) => v.rescore);
    const notice = noticeQuery.safeParse(c.req.query());
    const followUp = site.followUp.mqlResponseMinutes;
    const session = c.get('session');
    const text = draft.text ?? JSON.stringify(scorer.rules, null, 2);
    // The form shows the draft's numbers; a draft that does not parse shows the rules in effect.
    const drafted = draft.text ? parseDraft(draft.text) : undefined;
    const draftRules = drafted?.ok ? drafted.rules : scorer.rules;
    // A problem with one of the form's numbers is marked there, not on the JSON.
    const inForm = !!draft.problem?.inForm;
    // Only a plain look at the page follows a running rescore by reloading; never a page with a draft or results on it.
    const following = !draft.text && latestRescore?.rescore && (latestRescore.rescore.state === 'pending' || latestRescore.rescore.state === 'running');
    return c.render(
      <>
        {notice.success && notice.data.published ? (
          <p class="notice" role="status">
            Version {notice.data.published} is in effect.{' '}
            {latestRescore?.rescore && (latestRescore.rescore.state === 'pending' || latestRescore.rescore.state === 'running') ? 'Every lead is being rescored.' : 'Every lead has been rescored: the outcome is below.'}
          </p>
        ) : null}
        {notice.success && notice.data.unchanged ? (
          <p class="notice" role="status">
            The draft is the version in effect ({notice.data.unchanged}): nothing changed.
          </p>
        ) : null}

        <section aria-labelledby="in-effect">
          <h2 id="in-effect">Rule set in effect</h2>
          <p id="version-in-effect">
            Version <code>{scorer.version}</code>
            {inEffect ? (
              <>
                , published by <strong>{inEffect.by}</strong> on {at(inEffect.at)} UTC ({inEffect.source === 'config' ? 'from the config file' : inEffect.source === 'app' ? 'from the dashboard' : 'through the API'})
                {inEffect.note ? <>: “{inEffect.note}”</> : null}
              </>
            ) : (
              ', from the config file (no versions stored yet: the first publish keeps it as the first)'
            )}
            .
          </p>
          {latestRescore?.rescore ? (
            <p id="rescore" class={latestRescore.rescore.state === 'failed' ? undefined : 'notice'} role={latestRescore.rescore.state === 'failed' ? 'alert' : 'status'} data-refresh={following ? '3' : undefined}>
              <strong>{latestRescore.version}</strong>: {rescoreText(latestRescore.rescore)}
            </p>
          ) : null}
          <RulesInEffect rules={scorer.rules} hits={hits.value} days={HIT_DAYS} />
          <p class="muted">
            Hits <FiguresAge at={hits.at} stale={hits.stale} reload={c.req.method === 'GET'} />.
          </p>
          <p>
            Follow-up agreement with sales: an MQL gets sales feedback within <strong id="follow-up">{followUp % 60 === 0 ? `${followUp / 60} hour${followUp === 60 ? '' : 's'}` : `${followUp} minutes`}</strong>. Set in the site’s{' '}
            <code>followUp.mqlResponseMinutes</code> in the config file.
          </p>
        </section>

        <section aria-labelledby="draft">
          <h2 id="draft">Draft</h2>
          {draft.problem ? (
            <p role="alert" id="draft-error">
              {draft.problem.message}
            </p>
          ) : null}
          {draft.notice ? <p role="status" class="notice">{draft.notice}</p> : null}
          <form method="post" action={pageHref(c, '/app/scoring/backtest')} id="draft-form">
            <input type="hidden" name="_csrf" value={session.csrf} />
            <DraftQuickEdit rules={draftRules} problemField={inForm ? draft.problem?.field : undefined} posted={draft.posted} />
            <label for="rules">The whole draft as JSON, for what the form above does not change (a rule's conditions and limit, new rules, caps), prefilled with the rules in effect</label>
            <textarea id="rules" name="rules" rows={24} spellcheck={false} aria-invalid={draft.problem && !inForm ? 'true' : undefined} aria-describedby={draft.problem && !inForm ? 'draft-error' : undefined}>
              {text}
            </textarea>
            <p>
              <button type="submit">Backtest the draft</button> <span class="muted">Replays the stored history under the draft; changes nothing. {holds(session, 'admin') ? 'Publish from the results.' : 'Publishing needs a key with admin scope.'}</span>
            </p>
          </form>
        </section>

        {draft.result ? <BacktestResults result={draft.result} draftText={text} /> : null}

        <section aria-labelledby="versions">
          <h2 id="versions">Versions</h2>
          {versions.length ? (
            <div class="panel">
              <TableScroll label="Rule set versions, newest first">
                <table id="ruleset-versions">
                  <caption class="sr-only">Rule set versions, newest first</caption>
                  <thead>
                    <tr>
                      <th scope="col">Version</th>
                      <th scope="col">By</th>
                      <th scope="col">When (UTC)</th>
                      <th scope="col" class="hide-narrow">From</th>
                      <th scope="col">Note</th>
                      <th scope="col">Rescore</th>
                    </tr>
                  </thead>
                  <tbody>
                    {versions.map((v) => (
                      <tr data-version={v.version}>
                        <th scope="row">
                          <code>{v.version}</code> {v.inEffect ? <span class="badge">in effect</span> : null}
                        </th>
                        <td>{v.by}</td>
                        <td>{at(v.at)}</td>
                        <td class="hide-narrow">{v.source === 'app' ? 'dashboard' : v.source === 'config' ? 'config file' : 'API'}</td>
                        <td>{v.note ?? '–'}</td>
                        <td>{v.rescore ? rescoreText(v.rescore) : '–'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableScroll>
            </div>
          ) : (
            <p class="muted">No versions stored yet: the rules come from the config file.</p>
          )}
        </section>
      </>,
      { title: 'Scoring', charts: !!draft.result },
    );
  };

  app.get('/scoring', (c) => render(c, {}));

  app.post('/scoring/backtest', async (c) => {
    const body = await c.req.parseBody();
    const form = draftForm.safeParse(body);
    if (!form.success) throw ApiError.fromZod(form.error);
    let text = form.data.rules;
    let parsed = parseDraft(text);
    if (!parsed.ok) {
      c.status(400);
      return render(c, { text, problem: parsed, posted: body });
    }
    let notice: string | undefined;
    // The form's numbers that were changed there apply to the JSON as posted, whichever button was pressed.
    const read = readDraftEdits(body);
    if ('field' in read) {
      c.status(400);
      return render(c, { text, problem: { ...read, inForm: true }, posted: body });
    }
    const { rules, changes, unknown } = applyDraftEdits(parsed.rules, read.edits);
    const notApplied = unknown.length ? ` Not applied: points for ${unknown.join(', ')}, which the JSON draft no longer has.` : '';
    if (changes.length) {
      // Checked as any draft: a half-life of 0 is named by its field.
      const checked = parseDraft(JSON.stringify(rules));
      if (!checked.ok) {
        c.status(400);
        return render(c, { text, problem: { message: checked.message, field: formFieldOf(checked.field), inForm: true }, posted: body });
      }
      parsed = checked;
      text = JSON.stringify(checked.rules, null, 2);
      notice = `Draft changed (not published): ${changes.join('; ')}.${notApplied}`;
    } else if (form.data.edit || notApplied) notice = `The form changed nothing in the draft.${notApplied}`;
    if (form.data.threshold !== undefined) {
      parsed.rules.thresholds.mql.engagement = form.data.threshold;
      text = JSON.stringify(parsed.rules, null, 2);
      notice = `MQL engagement threshold set to ${form.data.threshold} in the draft (not published).`;
    }
    const result = await backtestRules(db, scorers, { site: c.get('site').key, rules: parsed.rules }, { now: now() });
    return render(c, { text, result, ...(notice && { notice }) });
  });

  app.post('/scoring/publish', async (c) => {
    requireScope(c, 'admin', 'publish rule sets');
    const form = draftForm.safeParse(await c.req.parseBody());
    if (!form.success) throw ApiError.fromZod(form.error);
    const parsed = parseDraft(form.data.rules);
    if (!parsed.ok) {
      c.status(400);
      return render(c, { text: form.data.rules, problem: parsed });
    }
    const site = c.get('site');
    const outcome = await publishRuleset(db, scorers, { site: site.key, rules: parsed.rules, ...(form.data.note && { note: form.data.note }) }, { by: c.get('session').name, source: 'app', now: now() });
    if (!outcome.published) return c.redirect(pageHref(c, '/app/scoring', { unchanged: outcome.ruleset.version }), 303);
    // Off the request path, as the API does: the page shows its progress.
    void rescoreRuleset(db, outcome.ruleset.id, { now, onCommitted });
    return c.redirect(pageHref(c, '/app/scoring', { published: outcome.ruleset.version }), 303);
  });
  return app;
}
