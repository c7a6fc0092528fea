import { createPageClassifier } from '../config/pageRules.js';
import type { PageRule } from '../config/schema.js';

/**
 * The pages that carry no funnel stage and no category: their stored views were not tagged
 * (no markup, no rule at the time) and no URL rule of the site matches them now. The list to
 * tag, in the order given (most viewed first when given `pageTraffic`'s pages).
 *
 * @example
 * untaggedPages([{ match: '/blog/**', stage: 'top' }], pages).slice(0, 50)
 */
export function untaggedPages<T extends { path: string; stage: string | null; category: string | null }>(rules: PageRule[], pages: T[]): T[] {
  const classify = createPageClassifier(rules);
  return pages.filter((p) => !p.stage && !p.category && !Object.keys(classify(p.path, {})).length);
}
