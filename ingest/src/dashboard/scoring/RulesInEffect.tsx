import type { RuleHits } from '../../rulesets/ruleHits.js';
import type { ScoringRules } from '../../scoring/rulesSchema.js';
import { describeRule } from './describeRule.js';
import { TableScroll } from '../layout/TableScroll.js';

/**
 * The rules in effect as a table: each rule's description, what it matches, its points and
 * limit, and its hits and points given over the period.
 *
 * @example
 * <RulesInEffect rules={scorer.rules} hits={await ruleHits(db, site, { rules: scorer.rules })} days={30} />
 */
export function RulesInEffect({ rules, hits, days }: { rules: ScoringRules; hits: RuleHits[]; days: number }) {
  const byId = new Map(hits.map((h) => [h.id, h]));
  const all = [...rules.engagement.map((r) => ({ kind: 'Engagement', rule: r })), ...rules.fit.map((r) => ({ kind: 'Fit', rule: r }))];
  return (
    <div class="panel">
      <TableScroll label={`Rules in effect with their hits over ${days} days`}>
        <table id="rules-in-effect">
          <caption class="sr-only">Rules in effect with their hits over {days} days</caption>
          <thead>
            <tr>
              <th scope="col">Rule</th>
              <th scope="col">Description</th>
              <th scope="col" class="hide-narrow">Matches</th>
              <th scope="col" class="num">Points</th>
              <th scope="col">Limit</th>
              <th scope="col" class="num">Hits ({days} d)</th>
              <th scope="col" class="num">Points given</th>
            </tr>
          </thead>
          <tbody>
            {all.map(({ kind, rule }) => {
              const { matches, limit } = describeRule(rule);
              const h = byId.get(rule.id);
              return (
                <tr data-rule={rule.id}>
                  <th scope="row">
                    <code>{rule.id}</code> <span class="badge">{kind}</span>
                  </th>
                  <td>{rule.description ?? '–'}</td>
                  <td class="hide-narrow wrap-anywhere">{matches}</td>
                  <td class={`num ${rule.points < 0 ? 'neg' : ''}`}>{rule.points}</td>
                  <td class="nowrap">{limit}</td>
                  <td class="num">{h?.hits ?? '–'}</td>
                  <td class="num">{h?.pointsGiven ?? '–'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableScroll>
      <p class="muted">
        MQL at engagement ≥ {rules.thresholds.mql.engagement} and fit ≥ {rules.thresholds.mql.fit}; each engagement point halves every {rules.halfLifeDays} days from when it was earned
        {rules.caps.engagement !== undefined ? `; engagement capped at ${rules.caps.engagement}` : ''}
        {rules.caps.fit !== undefined ? `; fit capped at ${rules.caps.fit}` : ''}. Fit rules match traits, not events: they have no hits.
      </p>
    </div>
  );
}
