import type { FunnelStage } from '../../../shared/src/types.js';
import { compileGlob, type GlobPart, type Matcher } from '../scoring/linearGlob.js';
import type { PageRule } from './schema.js';

export interface PageClassification {
  stage?: FunnelStage;
  category?: string;
}

export function normalisePath(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/**
 * Compiles a path pattern: `*` within one segment, `**` across, "/x/**" also matches "/x".
 * Matched in linear time (`compileGlob`), never by a backtracking `RegExp`: a pattern with many
 * wildcards against a long path cannot stall the write path. Its answers are those of the
 * regular expression it replaces: `*` is `[^/]*`, `**` is `.*` (no line break), and "/x/**" is
 * `^/x(/.*)?$`.
 *
 * @example
 * compilePathPattern('/blog/**').test('/blog') // true
 */
export function compilePathPattern(pattern: string): Matcher {
  // `**` crosses "/", `*` stays within one path segment; a trailing "/" is optional, and
  // "/blog/**" also matches "/blog" itself (the section's index page).
  const underSection = pattern.endsWith('/**');
  const body = underSection ? pattern.slice(0, -3) : normalisePath(pattern);
  const parts: GlobPart[] = body
    .split(/(\*\*|\*)/)
    .map((part) => (part === '**' ? { wildcard: 'line' } : part === '*' ? { wildcard: 'segment' } : part));
  const exact = compileGlob(parts);
  if (!underSection) return exact;
  const below = compileGlob([...parts, '/', { wildcard: 'line' }]);
  return { test: (path) => exact.test(path) || below.test(path) };
}

/**
 * Builds the classifier for a site's URL rules. Markup on the page wins over URL rules,
 * field by field; among URL rules the first match wins.
 *
 * @example
 * const classify = createPageClassifier([{ match: '/blog/**', stage: 'top', category: 'blog' }]);
 * classify('/blog/post', {}) // { stage: 'top', category: 'blog' }
 */
export function createPageClassifier(rules: PageRule[]) {
  const compiled = rules.map((rule) => ({ rule, re: compilePathPattern(rule.match) }));
  return function classifyPage(path: string, markup: PageClassification): PageClassification {
    const clean = normalisePath(path.split(/[?#]/)[0] ?? path);
    let stage = markup.stage;
    let category = markup.category;
    for (const { rule, re } of compiled) {
      if (stage && category) break;
      if (!re.test(clean)) continue;
      stage ??= rule.stage;
      category ??= rule.category;
    }
    return { ...(stage && { stage }), ...(category && { category }) };
  };
}
