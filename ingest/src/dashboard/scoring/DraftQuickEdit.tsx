import type { ScoringRules } from '../../scoring/rulesSchema.js';
import { TableScroll } from '../layout/TableScroll.js';

/**
 * The draft as a form: the MQL thresholds, the half-life and each rule's points, prefilled from
 * the draft, so a marketer changes the numbers without touching JSON. It posts the draft it was
 * made from with the changes (`applyDraftEdits`) to the backtest; conditions and new rules are
 * edited in the JSON below it.
 *
 * @example
 * <DraftQuickEdit rules={draftRules} draftText={text} action="/app/scoring/backtest?site=demo" csrf={session.csrf} />
 */
export function DraftQuickEdit({ rules, draftText, action, csrf, problemField }: { rules: ScoringRules; draftText: string; action: string; csrf: string; problemField?: string }) {
  const invalid = (field: string) => (problemField === field ? 'true' : undefined);
  const all = [...rules.engagement.map((r) => ({ kind: 'Engagement', rule: r })), ...rules.fit.map((r) => ({ kind: 'Fit', rule: r }))];
  return (
    <form method="post" action={action} id="quick-edit" class="panel">
      <input type="hidden" name="_csrf" value={csrf} />
      <input type="hidden" name="rules" value={draftText} />
      <input type="hidden" name="edit" value="1" />
      <fieldset class="filters">
        <legend>Thresholds</legend>
        <div>
          <label for="q-mql-engagement">MQL at engagement ≥</label>
          <input id="q-mql-engagement" name="mqlEngagement" type="number" step="any" inputmode="decimal" size={6} value={String(rules.thresholds.mql.engagement)} aria-invalid={invalid('mqlEngagement')} aria-describedby={invalid('mqlEngagement') && 'draft-error'} />
        </div>
        <div>
          <label for="q-mql-fit">and fit ≥</label>
          <input id="q-mql-fit" name="mqlFit" type="number" step="any" inputmode="decimal" size={6} value={String(rules.thresholds.mql.fit)} aria-invalid={invalid('mqlFit')} aria-describedby={invalid('mqlFit') && 'draft-error'} />
        </div>
        <div>
          <label for="q-half-life">Engagement halves every (days)</label>
          <input id="q-half-life" name="halfLifeDays" type="number" step="any" min="0" inputmode="decimal" size={5} value={String(rules.halfLifeDays)} aria-invalid={invalid('halfLifeDays')} aria-describedby={invalid('halfLifeDays') && 'draft-error'} />
        </div>
      </fieldset>
      <TableScroll label="Points of each rule in the draft">
        <table id="quick-edit-points">
          <caption class="sr-only">Points of each rule in the draft</caption>
          <thead>
            <tr>
              <th scope="col">Rule</th>
              <th scope="col">Description</th>
              <th scope="col" class="num">Points</th>
            </tr>
          </thead>
          <tbody>
            {all.map(({ kind, rule }) => (
              <tr data-rule={rule.id}>
                <th scope="row">
                  <label for={`q-points-${rule.id}`}>
                    <code>{rule.id}</code>
                  </label>{' '}
                  <span class="badge">{kind}</span>
                </th>
                <td>{rule.description ?? '–'}</td>
                <td class="num">
                  <input id={`q-points-${rule.id}`} name={`points.${rule.id}`} type="number" step="any" inputmode="decimal" size={5} value={String(rule.points)} aria-invalid={invalid(`points.${rule.id}`)} aria-describedby={invalid(`points.${rule.id}`) && 'draft-error'} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      <p>
        <button type="submit">Backtest these changes</button> <span class="muted">Changes only the draft; publish from the results.</span>
      </p>
    </form>
  );
}
