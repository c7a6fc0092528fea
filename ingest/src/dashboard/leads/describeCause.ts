import type { ScoringRules } from '../../scoring/rulesSchema.js';
import { reasonLabel } from './reasonLabel.js';

/**
 * Why a lead's stage changed, in words, from a stage change's stored cause
 * (`threshold:mql`, `rule:<id>`, `feedback:<type>[:<reason>]`, `rescore:<version>`, `form:<name>`),
 * told by `rules`: the rules in force when it changed (not today's), when the site kept them.
 *
 * @example
 * describeCause('feedback:rejected:bad_fit', rules) // 'Sales feedback: rejected (Bad fit)'
 */
export function describeCause(cause: string, rules: ScoringRules | undefined): string {
  const [kind, ...rest] = cause.split(':');
  const detail = rest.join(':');
  switch (kind) {
    case 'threshold': {
      const t = rules?.thresholds.mql;
      return t ? `Score passed the MQL threshold (engagement ≥ ${t.engagement}, fit ≥ ${t.fit})` : 'Score passed the MQL threshold';
    }
    case 'rule': {
      const description = rules?.engagement.find((r) => r.id === detail)?.description;
      return `Hand-raiser rule ${detail}${description ? `: ${description}` : ''}`;
    }
    case 'feedback': {
      const [type, reason] = detail.split(':');
      return `Sales feedback: ${type}${reason ? ` (${reasonLabel(reason)})` : ''}`;
    }
    case 'rescore':
      return `Rescored under rule set ${detail}`;
    case 'form':
      return `Form ${detail}`;
    default:
      return cause;
  }
}
