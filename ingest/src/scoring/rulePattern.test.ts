import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_PATH, loadConfig, parseConfig } from '../config/loadConfig.js';
import { parseDraft } from '../dashboard/scoring/parseDraft.js';
import { createScorer } from './engine.js';
import { compileRulePattern, rulePatternProblem } from './rulePattern.js';
import { scoringSchema, type ScoringRules } from './rulesSchema.js';

const fitRule = (matches: string) => ({ id: 'title', trait: 'jobTitle' as const, matches, points: 10 });
/** The fit rules that match a job title, through the engine. */
const fitOf = (matches: string, jobTitle: string) => createScorer(scoringSchema.parse({ fit: [fitRule(matches)] })).fitHits({ jobTitle }).map((h) => h.ruleId);

describe("fit rules' regular expressions", () => {
  it('match in linear time: catastrophic patterns against a hostile 200-character value answer at once', () => {
    // On V8's backtracking engine, which the old code ran `matches` on, each of these takes
    // seconds to forever: `(a*)*b` tries every split of the a's (2^199 of them), `(.*a){20}`
    // every subset of 19 a's from each starting point (7 s).
    const cases: Array<[string, string, string[]]> = [
      ['(a*)*b', 'a'.repeat(199) + '!', []],
      ['(a*)*b', 'a'.repeat(199) + 'b', ['title']],
      ['(a|aa)+$', 'a'.repeat(199) + '!', []],
      ['(a|aa)+$', 'a'.repeat(200), ['title']],
      ['(.*a){20}', '!'.repeat(90) + 'a'.repeat(19) + '!'.repeat(91), []],
      ['(.*a){20}', 'a'.repeat(199) + '!', ['title']],
    ];
    for (const [pattern, value, hits] of cases) {
      expect(value).toHaveLength(200);
      const started = performance.now();
      expect(fitOf(pattern, value), pattern).toEqual(hits);
      expect(performance.now() - started, pattern).toBeLessThan(1000);
    }
  });

  it('keep their JavaScript meaning for ordinary patterns: case-insensitive, anchors, alternation, classes, groups, leading lookaheads', () => {
    const patterns = [
      'cfo|controller|finance|account|bookkeep|treasur',
      '^vp\\b',
      'officer$',
      '^(cfo|chief financial officer)$',
      '\\bhead of (finance|accounting)\\b',
      '^(51|[1-9]\\d{2}|1000)$',
      '[^a-z ]',
      'c\\.f\\.o\\.?',
      'fin(ance)?\\s+(director|lead)',
      '(?<role>cfo)',
      '\\u00e9|\\x41',
      '[]x]',
      '^(?!(de|fr|gb|united kingdom)$)',
      '^(?=.*cfo)(?=.*finance)',
      '^(?!intern)(?:.*(manager|director))',
      '',
    ];
    const values = ['CFO', 'Chief Financial Officer', 'VP Finance', 'svp sales', 'Head of Finance', 'head of accountingx', '250', '51', '1001', 'c.f.o.', 'Finance  Director', 'Café', 'A', 'x]', 'DE', 'United Kingdom', 'us', 'cfo finance', 'finance cfo', 'Intern manager', 'Sales Manager', 'de\nfr'];
    for (const pattern of patterns) {
      expect(rulePatternProblem(pattern), pattern).toBeUndefined();
      const ours = compileRulePattern(pattern);
      const v8 = new RegExp(pattern, 'i');
      for (const value of values) expect(ours.test(value), `/${pattern}/i on ${JSON.stringify(value)}`).toBe(v8.test(value));
    }
  });

  it('refuse what RE2 cannot match in linear time or would read differently, naming the field', () => {
    const bad = [
      ['(a)\\1', /^backreferences \(\\1…\) are not supported/],
      ['(?<x>a)\\k<x>', /^backreferences \(\\k…\) are not supported/],
      ['(?<=senior )cfo', /^lookarounds .* are not supported, except lookaheads right after a leading \^/],
      ['cfo(?!x)', /^lookarounds/],
      ['^(?!x)cfo|vp', /^a leading lookahead must apply to the whole pattern/],
      ['\\p{L}+', /^"\\p" is not supported \(JavaScript reads it as the letter "p", RE2 differently\)/],
      ['[[:alpha:]]', /^"\[:" in a class is not supported/],
      ['a{1001}', /^not supported by the linear-time engine \(RE2\): invalid repeat count/],
      ['(x?){500}x{500}', /^too complex: it compiles to \d+ instructions, at most 2000/],
      ['x'.repeat(501), /^at most 500 characters/],
      ['(', /^not a valid regular expression/],
    ] as const;
    const parsed = scoringSchema.safeParse({ fit: bad.map(([matches], i) => ({ ...fitRule(matches), id: `r${i}` })) });
    expect(parsed.success).toBe(false);
    const issues = parsed.error!.issues;
    expect(issues.map((i) => i.path.join('.'))).toEqual(bad.map((_, i) => `fit.${i}.matches`));
    issues.forEach((issue, i) => expect(issue.message).toMatch(bad[i]![1]));
  });

  it('keep path and name patterns short: 500 characters and 20 wildcards at most, naming the field', () => {
    const engagement = [
      { id: 'long', match: { path: '/' + 'a'.repeat(500) }, points: 1 },
      { id: 'stars', match: { name: '*a'.repeat(21) }, points: 1 },
      { id: 'mixed', match: { path: '/**' + '*a'.repeat(200_000) + '**b' }, points: 1 },
      { id: 'fine', match: { path: '/docs/**/setup', name: 'guide-*.pdf' }, points: 1 },
    ];
    const parsed = scoringSchema.safeParse({ engagement });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['engagement.0.match.path', 'path patterns are 500 characters at most'],
      ['engagement.1.match.name', 'name patterns hold 20 wildcards at most'],
      ['engagement.2.match.path', 'path patterns are 500 characters at most'],
      ['engagement.2.match.path', 'path patterns hold 20 wildcards at most'],
    ]);
    expect(() => parseConfig({ sites: [{ key: 'demo', pages: [{ match: '/x' + '/*'.repeat(21), stage: 'top' }] }] }, 'x')).toThrow(/sites\.0\.pages\.0\.match: path patterns hold 20 wildcards at most/);
  });

  it('are refused alike in the draft editor and in a config file at start', () => {
    const draft = parseDraft(JSON.stringify({ fit: [fitRule('cfo'), fitRule('(?<!vice )president')].map((r, i) => ({ ...r, id: `r${i}` })) }));
    expect(draft).toMatchObject({ ok: false, field: 'fit.1.matches', message: expect.stringMatching(/^fit\.1\.matches: lookarounds/) });

    const file = join(mkdtempSync(join(tmpdir(), 'lb-pattern-')), 'config.json');
    writeFileSync(file, JSON.stringify({ sites: [{ key: 'demo', scoring: { fit: [fitRule('(a)\\1')] } }] }));
    expect(() => loadConfig(file, {})).toThrow(new RegExp(`config ${file} is invalid:\\n  - sites\\.0\\.scoring\\.fit\\.0\\.matches: backreferences`));
    expect(() => parseConfig({ sites: [{ key: 'demo', scoring: { fit: [fitRule('\\z')] } }] }, 'x')).toThrow(/sites\.0\.scoring\.fit\.0\.matches: "\\z" is not supported/);
  });

  it("keep the shipped demo's service-area rule (a leading negative lookahead) meaning what it did", () => {
    const rule = loadConfig(DEFAULT_CONFIG_PATH, {}).sites[0]!.scoring.fit.find((r) => r.id === 'outside-service-area')!;
    const v8 = new RegExp(rule.matches!, 'i');
    for (const country of ['de', 'DE', 'Germany', 'United Kingdom', 'uk', 'us', 'USA', 'germanyx', 'chile', 'ch', 'Brazil'])
      expect(compileRulePattern(rule.matches!).test(country), country).toBe(v8.test(country));
  });

  it('a stored rule set whose pattern validation now refuses scores without it: the rule matches nothing, nothing throws', () => {
    // Versions published before validation refused lookbehinds are read from the database unvalidated.
    const stored = { ...scoringSchema.parse({}), fit: [{ ...fitRule('(?<=senior )cfo'), id: 'legacy' }, { ...fitRule('cfo'), id: 'plain' }] } as ScoringRules;
    expect(createScorer(stored).fitHits({ jobTitle: 'senior cfo' })).toEqual([{ ruleId: 'plain', points: 10 }]);
  });
});
