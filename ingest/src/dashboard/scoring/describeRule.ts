import type { EngagementRule, FitRule } from '../../scoring/rulesSchema.js';

/**
 * What a rule matches and how often it may score, in a few words for the rules table.
 *
 * @example
 * describeRule({ id: 'pricing', match: { type: 'pageview', category: 'pricing' }, points: 5, limit: 'oncePerVisit' })
 * // { matches: 'pageview, category pricing', limit: 'once a visit' }
 */
export function describeRule(rule: EngagementRule | FitRule): { matches: string; limit: string } {
  if ('trait' in rule) return { matches: `${rule.trait} ${rule.matches ? `matches /${rule.matches}/` : `in ${(rule.in ?? []).join(', ')}`}`, limit: 'while it holds' };
  const m = rule.match;
  const parts = [
    m.type === 'visit' ? `${m.visit ?? 'any'} visit` : m.type,
    m.stage && `stage ${m.stage}`,
    m.category && `category ${m.category}`,
    m.path && `path ${m.path}`,
    m.name && `name ${m.name}`,
    m.props && `props ${JSON.stringify(m.props)}`,
    m.type !== 'visit' && m.visit && `${m.visit} visit`,
    m.minEngagedSeconds !== undefined && `≥ ${m.minEngagedSeconds} s engaged`,
    m.minScrollDepth !== undefined && `≥ ${m.minScrollDepth} % scrolled`,
    m.sentBy === 'server' && 'sent by a server with a secret key',
  ].filter(Boolean);
  const limit = rule.limit === 'always' ? 'every time' : rule.limit === 'once' ? 'once' : rule.limit === 'oncePerVisit' ? 'once a visit' : `at most ${rule.limit.max} per ${rule.limit.perDays} day${rule.limit.perDays === 1 ? '' : 's'}`;
  return { matches: (parts.length ? parts.join(', ') : 'any event') + (rule.qualifies ? ` → ${rule.qualifies.toUpperCase()} at once` : ''), limit };
}
