import { compilePathPattern, normalisePath } from '../config/pageRules.js';
import type { PageRule } from '../config/schema.js';

/** A URL rule with the real paths it matches. */
export interface RulePreview {
  rule: PageRule;
  /** How many of the given paths it matches, and their views. */
  matched: number;
  views: number;
  /** The most viewed matches, at most `perRule`. */
  paths: Array<{
    path: string;
    views: number;
    /** An earlier rule that matches the path too: it decides the stage and category it sets. */
    shadowedBy?: string;
  }>;
}

/**
 * Each URL rule of a site with a preview of the stored paths it matches (as the ingest
 * classifies: first matching rule wins, field by field), from a list of real paths with their
 * views such as `pageTraffic` returns. Pure: no query.
 *
 * @example
 * pageRulePreview([{ match: '/blog/**', stage: 'top' }], [{ path: '/blog/a', views: 3 }])
 * // [{ rule, matched: 1, views: 3, paths: [{ path: '/blog/a', views: 3 }] }]
 */
export function pageRulePreview(rules: PageRule[], pages: Array<{ path: string; views: number }>, { perRule = 10 } = {}): RulePreview[] {
  const compiled = rules.map((rule) => ({ rule, re: compilePathPattern(rule.match) }));
  const byViews = [...pages].sort((a, b) => b.views - a.views || a.path.localeCompare(b.path));
  return compiled.map(({ rule, re }, i) => {
    const matches = byViews.filter((p) => re.test(normalisePath(p.path)));
    return {
      rule,
      matched: matches.length,
      views: matches.reduce((n, p) => n + p.views, 0),
      paths: matches.slice(0, perRule).map((p) => {
        const earlier = compiled.slice(0, i).find((c) => c.re.test(normalisePath(p.path)) && ((rule.stage && c.rule.stage) || (rule.category && c.rule.category)));
        return { path: p.path, views: p.views, ...(earlier && { shadowedBy: earlier.rule.match }) };
      }),
    };
  });
}
