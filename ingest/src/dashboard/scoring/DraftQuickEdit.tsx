import type { ScoringRules } from '../../scoring/rulesSchema.js';
import { TableScroll } from '../layout/TableScroll.js';

/**
 * The draft's numbers as form fields, inside the draft form above its JSON: the MQL thresholds,
 * the half-life and each rule's points, prefilled from the draft, so a marketer changes the
 * numbers without touching JSON. Each field carries the value it was shown with
 * (`was.<field>`): only numbers changed here are applied to the JSON as posted
 * (`applyDraftEdits`), so an edit made in the JSON is never undone by the form. After a refused
 * post, `posted` keeps what was typed.
 *
 * @example
 * <DraftQuickEdit rules={draftRules} problemField={problem?.field} />
 */
export function DraftQuickEdit({ rules, problemField, posted = {} }: { rules: ScoringRules; problemField?: string; posted?: Record<string, unknown> }) {
  const all = [...rules.engagement.map((r) => ({ kind: 'Engagement', rule: r })), ...rules.fit.map((r) => ({ kind: 'Fit', rule: r }))];
  const Field = ({ name, id, value, size, min }: { name: string; id: string; value: number; size: number; min?: string }) => {
    const shown = typeof posted[name] === 'string' ? (posted[name] as string) : String(value);
    const was = typeof posted[`was.${name}`] === 'string' ? (posted[`was.${name}`] as string) : String(value);
    const invalid = problemField === name;
    return (
      <>
        <input id={id} name={name} type="number" step="any" inputmode="decimal" size={size} min={min} value={shown} aria-invalid={invalid ? 'true' : undefined} aria-describedby={invalid ? 'draft-error' : undefined} />
        <input type="hidden" name={`was.${name}`} value={was} />
      </>
    );
  };
  return (
    <div id="quick-edit">
      <fieldset class="filters">
        <legend>Thresholds</legend>
        <div>
          <label for="q-mql-engagement">MQL at engagement ≥</label>
          <Field name="mqlEngagement" id="q-mql-engagement" value={rules.thresholds.mql.engagement} size={6} />
        </div>
        <div>
          <label for="q-mql-fit">and fit ≥</label>
          <Field name="mqlFit" id="q-mql-fit" value={rules.thresholds.mql.fit} size={6} />
        </div>
        <div>
          <label for="q-half-life">Engagement halves every (days)</label>
          <Field name="halfLifeDays" id="q-half-life" value={rules.halfLifeDays} size={5} min="0" />
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
                  <Field name={`points.${rule.id}`} id={`q-points-${rule.id}`} value={rule.points} size={5} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      <p>
        <button type="submit" name="edit" value="1">
          Backtest these changes
        </button>{' '}
        <span class="muted">Changes only the draft; publish from the results.</span>
      </p>
    </div>
  );
}
