import type { Scorer } from '../../scoring/engine.js';

/**
 * Why a lead's stage changed, in words, from a stage change's stored cause
 * (`threshold:mql`, `rule:<id>`, `feedback:<type>[:<reason>]`, `rescore:<version>`, `form:<name>`).
 *
 * @example
 * describeCause('feedback:rejected:bad_fit', scorer) // 'Sales feedback: rejected (bad_fit)'
 */
export function describeCause(cause: string, scorer: Scorer | undefined): string {
  const [kind, ...rest] = cause.split(':');
  const detail = rest.join(':');
  switch (kind) {
    case 'threshold': {
      const t = scorer?.rules.thresholds.mql;
      return t ? `Score passed the MQL threshold (engagement ≥ ${t.engagement}, fit ≥ ${t.fit})` : 'Score passed the MQL threshold';
    }
    case 'rule': {
      const description = scorer?.rules.engagement.find((r) => r.id === detail)?.description;
      return `Hand-raiser rule ${detail}${description ? `: ${description}` : ''}`;
    }
    case 'feedback': {
      const [type, reason] = detail.split(':');
      return `Sales feedback: ${type}${reason ? ` (${reason})` : ''}`;
    }
    case 'rescore':
      return `Rescored under rule set ${detail}`;
    case 'form':
      return `Form ${detail}`;
    default:
      return cause;
  }
}
