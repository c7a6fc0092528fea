import { useRequestContext } from 'hono/jsx-renderer';
import { holds } from '../../auth/createKeyVerifier.js';
import type { Backtest } from '../../backtest/backtestRules.js';
import type { Calibration } from '../../backtest/calibrateThreshold.js';
import type { DashboardEnv } from '../dashboardEnv.js';
import { Chart, type ChartMarker } from '../layout/Chart.js';
import { pageHref } from '../layout/links.js';
import { TableScroll } from '../layout/TableScroll.js';

const share = (n: number, of: number) => (of ? ` (${Math.round((100 * n) / of)} %)` : '');
const signed = (n: number) => (n > 0 ? `+${n}` : String(n));

/** The draft's MQL engagement threshold and the suggested one, to mark on the calibration chart (one mark when they agree). */
function thresholdMarkers(cal: Calibration): ChartMarker[] {
  const draft = cal.current?.threshold;
  // A threshold that separates nothing is no suggestion.
  const best = cal.advice === 'no_separation' || cal.advice === 'current_is_best' ? undefined : cal.best?.threshold;
  if (draft !== undefined && draft === best) return [{ x: draft, label: 'Draft = suggested', description: `the draft’s threshold, which is also the suggested threshold: ${draft}` }];
  return [
    ...(draft !== undefined ? [{ x: draft, label: 'Draft', description: `the draft’s threshold: ${draft}` }] : []),
    ...(best !== undefined ? [{ x: best, label: 'Suggested', description: `the suggested threshold: ${best}` }] : []),
  ];
}

/**
 * A backtest's results: MQLs now and under the draft, the leads that move (linked to their
 * pages), the draft against sales outcomes, the threshold calibration with a button that puts
 * the best threshold into the draft, and (for admin sessions) the form that publishes the
 * draft that was tested.
 *
 * @example
 * <BacktestResults result={await backtestRules(db, scorers, { site, rules })} draftText={text} />
 */
export function BacktestResults({ result, draftText }: { result: Backtest; draftText: string }) {
  const c = useRequestContext<DashboardEnv>();
  const session = c.get('session');
  const { outcomes, calibration: cal, moves } = result;
  return (
    <section aria-labelledby="backtest" id="backtest-results">
      <h2 id="backtest">Backtest of the draft</h2>
      <p role="status">
        {result.identical
          ? `The draft is the rule set in effect (${result.versions.now}): nothing would change.`
          : `Draft ${result.versions.draft} replayed over the stored history of ${result.leads} leads (${result.events} events) against ${result.versions.now}, the version in effect. Nothing was changed.`}
      </p>
      <div class="cards">
        <div class="card" id="mql-count">
          <div class="value">
            {result.mqlOrBeyond.now} → {result.mqlOrBeyond.draft}
          </div>
          <div class="label">leads MQL or beyond, now → with the draft</div>
        </div>
        <div class="card" id="moves-up">
          <div class="value pos">{moves.up}</div>
          <div class="label">leads move up</div>
        </div>
        <div class="card" id="moves-down">
          <div class="value neg">{moves.down}</div>
          <div class="label">leads move down</div>
        </div>
      </div>

      <h3>Against sales outcomes</h3>
      <div class="panel">
        <TableScroll label="How often the rules qualify leads, by what sales decided">
          <table id="outcomes">
            <caption class="sr-only">How often the rules qualify leads, by what sales decided</caption>
            <thead>
              <tr>
                <th scope="col">Sales decided</th>
                <th scope="col" class="num">Leads</th>
                <th scope="col" class="num">Qualified now</th>
                <th scope="col" class="num">Qualified by the draft</th>
              </tr>
            </thead>
            <tbody>
              <tr data-outcome="acceptedOrWon">
                <th scope="row">Accepted or won</th>
                <td class="num">{outcomes.acceptedOrWon.leads}</td>
                <td class="num">{outcomes.acceptedOrWon.qualifiedNow}</td>
                <td class="num">{outcomes.acceptedOrWon.qualifiedDraft}</td>
              </tr>
              <tr data-outcome="rejectedOrLost">
                <th scope="row">Rejected or lost</th>
                <td class="num">{outcomes.rejectedOrLost.leads}</td>
                <td class="num">{outcomes.rejectedOrLost.qualifiedNow}</td>
                <td class="num">{outcomes.rejectedOrLost.qualifiedDraft}</td>
              </tr>
            </tbody>
          </table>
        </TableScroll>
        <p class="muted">
          Of the leads sales accepted or won, the draft qualifies {outcomes.acceptedOrWon.qualifiedDraft}
          {share(outcomes.acceptedOrWon.qualifiedDraft, outcomes.acceptedOrWon.leads)}; of those rejected or lost, it still qualifies {outcomes.rejectedOrLost.qualifiedDraft}
          {share(outcomes.rejectedOrLost.qualifiedDraft, outcomes.rejectedOrLost.leads)}. Each lead is judged on its events up to sales’ first decision.
        </p>
      </div>

      <h3>Threshold calibration</h3>
      {cal.buckets.length ? (
        <Chart
          title="Peak engagement under the draft: won and lost leads"
          xKind="number"
          xLabel="Peak engagement"
          bars
          x={cal.buckets.map((b) => b.from)}
          binWidth={cal.buckets[0]!.to - cal.buckets[0]!.from}
          markers={thresholdMarkers(cal)}
          series={[
            { label: 'Won', values: cal.buckets.map((b) => b.won) },
            { label: 'Lost', values: cal.buckets.map((b) => b.lost) },
          ]}
        />
      ) : null}
      {cal.best && cal.current && cal.advice === 'current_is_best' ? (
        <p class="notice" id="calibration-keep">
          The draft’s threshold, {cal.current.threshold}, separates won from lost leads as well as any: it qualifies {cal.current.wonQualified} of {cal.won} won and {cal.current.lostQualified} of {cal.lost} lost leads
          (Youden’s J {cal.current.youdenJ}). Nothing to change.
        </p>
      ) : cal.best && cal.advice === 'no_separation' ? (
        <p class="notice" id="calibration-none">
          No engagement threshold separates won from lost leads under the draft: the best, {cal.best.threshold}, qualifies {cal.best.wonQualified} of {cal.won} won and {cal.best.lostQualified} of {cal.lost} lost
          leads (Youden’s J {cal.best.youdenJ}), no better than qualifying at random. Engagement does not tell them apart yet: look at the rules, not the threshold.
        </p>
      ) : cal.best ? (
        <div class="panel" id="calibration">
          {cal.advice === 'too_few_outcomes' ? (
            <p class="notice" id="calibration-few">
              A hint, not yet a finding: it rests on {cal.won - cal.neverFit.won} won and {cal.lost - cal.neverFit.lost} lost leads whose fit passed, and with fewer than {cal.minimumPerClass} of each the best split is
              largely chance. Record more sales outcomes on the lead pages before trusting it.
            </p>
          ) : null}
          <p>
            The MQL engagement threshold that separates won from lost leads best is <strong id="best-threshold">{cal.best.threshold}</strong>: it qualifies {cal.best.wonQualified} of {cal.won} won and{' '}
            {cal.best.lostQualified} of {cal.lost} lost leads (Youden’s J {cal.best.youdenJ}).
            {cal.current ? ` The draft’s threshold (${cal.current.threshold}) qualifies ${cal.current.wonQualified} won and ${cal.current.lostQualified} lost (J ${cal.current.youdenJ}).` : ''}
            {cal.neverFit.won + cal.neverFit.lost ? ` ${cal.neverFit.won} won and ${cal.neverFit.lost} lost leads never passed the fit threshold.` : ''}
          </p>
          <form method="post" action={pageHref(c, '/app/scoring/backtest')}>
            <input type="hidden" name="_csrf" value={session.csrf} />
            <input type="hidden" name="rules" value={draftText} />
            <input type="hidden" name="threshold" value={String(cal.best.threshold)} />
            <button type="submit" class="secondary">
              Put threshold {cal.best.threshold} into the draft and backtest again
            </button>
          </form>
        </div>
      ) : (
        <p class="notice">
          Calibration needs at least one won and one lost lead whose fit passed the threshold (now {cal.won} won, {cal.lost} lost). Record sales outcomes on the lead pages.
        </p>
      )}

      <h3>Leads that move</h3>
      {moves.leads.length ? (
        <div class="panel">
          <TableScroll label="Leads whose stage the draft changes">
            <table id="moved-leads">
              <caption class="sr-only">Leads whose stage the draft changes</caption>
              <thead>
                <tr>
                  <th scope="col">Lead</th>
                  <th scope="col" class="hide-narrow">Company</th>
                  <th scope="col">Stage now → draft</th>
                  <th scope="col" class="num">Score now</th>
                  <th scope="col" class="num">Score with draft</th>
                  <th scope="col" class="num">Change</th>
                </tr>
              </thead>
              <tbody>
                {moves.leads.map((l) => (
                  <tr data-lead={l.id}>
                    <th scope="row">
                      <a href={pageHref(c, `/app/leads/${l.id}`)}>{l.email}</a>
                    </th>
                    <td class="hide-narrow">{l.company ?? '–'}</td>
                    <td>
                      {l.now.stage} → <strong>{l.draft.stage}</strong>
                    </td>
                    <td class="num">{l.now.total}</td>
                    <td class="num">{l.draft.total}</td>
                    <td class={`num ${l.draft.total >= l.now.total ? 'pos' : 'neg'}`}>{signed(Math.round((l.draft.total - l.now.total) * 100) / 100)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
          {moves.truncated ? <p class="muted">The first {moves.leads.length} of {moves.up + moves.down} leads that move.</p> : null}
        </div>
      ) : (
        <p class="notice">No lead changes stage under the draft.</p>
      )}

      {holds(session, 'admin') && !result.identical ? (
        <form method="post" action={pageHref(c, '/app/scoring/publish')} class="panel" id="publish-form" data-confirm={`Publish draft ${result.versions.draft} for ${result.site}? It takes effect at once and every lead is rescored: ${handoverWords(result.handovers)}.`}>
          <h3>Publish this draft</h3>
          <p id="publish-handovers">{`Publishing ${handoverWords(result.handovers)}.`}</p>
          <input type="hidden" name="_csrf" value={session.csrf} />
          <input type="hidden" name="rules" value={draftText} />
          <p>
            <label for="note">Note (why the change; kept with the version)</label>
            <input id="note" name="note" maxlength={2000} size={70} />
          </p>
          <button type="submit">Publish draft {result.versions.draft}</button>
        </form>
      ) : null}
    </section>
  );
}

/** What a publish does to sales' queue, in words: each lead it lifts to MQL is handed over at once, webhooks and all. */
const handoverWords = ({ toSales, backFromSales }: { toSales: number; backFromSales: number }) =>
  toSales || backFromSales
    ? [
        toSales && `${toSales} lead${toSales === 1 ? '' : 's'} go${toSales === 1 ? 'es' : ''} to sales at once (a handover each, with its webhooks)`,
        backFromSales && `${backFromSales} lead${backFromSales === 1 ? '' : 's'} drop${backFromSales === 1 ? 's' : ''} back below MQL`,
      ]
        .filter(Boolean)
        .join('; ')
    : 'no lead is handed to sales or taken back';
