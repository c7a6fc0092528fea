import { createHash } from 'node:crypto';
import { z } from 'zod';
import { rulePatternProblem } from './rulePattern.js';

const id = z.string().regex(/^[\w.-]{1,60}$/, 'letters, digits, ".", "-" and "_" only');

/** How often a rule may give points. */
export const limitSchema = z.union([
  z.enum(['always', 'once', 'oncePerVisit']),
  z.object({ max: z.number().int().min(1).max(1000), perDays: z.number().positive().max(3650) }).strict(),
]);

/**
 * A path or name pattern: matching costs its length times the value's, so it is kept short
 * (a backtest's draft is written by whoever holds a read key).
 */
export const globPattern = (what: string) =>
  z
    .string()
    .max(500, `${what} patterns are 500 characters at most`)
    .refine((p) => (p.match(/\*+/g)?.length ?? 0) <= 20, `${what} patterns hold 20 wildcards at most`);

/** Which events an engagement rule matches: every condition given must hold. */
export const eventMatchSchema = z
  .object({
    /** An event type, or `visit`: the first event of a visit (with `visit: "returning"`, a returning visit). */
    type: z.enum(['pageview', 'track', 'download', 'form', 'click', 'engagement', 'identify', 'vitals', 'visit']).optional(),
    stage: z.enum(['top', 'middle', 'bottom']).optional(),
    category: z.string().max(500).optional(),
    /** Path pattern, as in page rules: `*` within a segment, `**` across. */
    path: globPattern('path').pipe(z.string().startsWith('/')).optional(),
    /** Event name: form id, file name, custom event name, marked click name (`*` wildcards). */
    name: globPattern('name').optional(),
    /** Properties that must have these values. */
    props: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    visit: z.enum(['first', 'returning']).optional(),
    minEngagedSeconds: z.number().nonnegative().optional(),
    minScrollDepth: z.number().min(0).max(100).optional(),
    /**
     * `server`: only events sent with a secret key (a backend or CRM through the server-side
     * API). Anyone can send a browser's events with the public site key, so a rule that
     * qualifies a lead at once should ask for this.
     */
    sentBy: z.enum(['server']).optional(),
  })
  .strict();

/**
 * The most points one rule may give or take. Scores are counted in tens and hundreds; a bound
 * keeps every sum of them finite and exact (1e308 points made scores `Infinity`, sent as null).
 */
export const MAX_RULE_POINTS = 1_000_000;
/** Thresholds and caps compare with sums of points: far beyond any, still exact. */
const MAX_SCORE_SETTING = 1_000_000_000;
const points = z.number().min(-MAX_RULE_POINTS).max(MAX_RULE_POINTS);
const scoreSetting = z.number().min(-MAX_SCORE_SETTING).max(MAX_SCORE_SETTING);

export const engagementRuleSchema = z
  .object({
    id,
    description: z.string().optional(),
    match: eventMatchSchema,
    points,
    limit: limitSchema.default('always'),
    /** A hand-raiser: matching it qualifies the lead at once, whatever the score. */
    qualifies: z.enum(['mql', 'sql']).optional(),
  })
  .strict();

export const fitRuleSchema = z
  .object({
    id,
    description: z.string().optional(),
    trait: z.enum(['jobTitle', 'companySize', 'industry', 'country', 'emailDomain', 'company', 'name']),
    /**
     * Case-insensitive regular expression the trait must match, in JavaScript's syntax, matched
     * in linear time by RE2: no backreferences, no lookarounds but leading lookaheads
     * (`rulePatternProblem` says what is refused and why)…
     */
    matches: z
      .string()
      .superRefine((pattern, ctx) => {
        const problem = rulePatternProblem(pattern);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
    /** …or one of these values (case-insensitive). `freemail` stands for the common free-mail domains. */
    in: z.array(z.string()).optional(),
    points,
  })
  .strict()
  .refine((r) => r.matches || r.in, 'give "matches" or "in"');

export const scoringSchema = z
  .object({
    /** Each engagement point halves every this many days from when it was earned. */
    halfLifeDays: z.number().positive().max(3650).default(30),
    caps: z.object({ engagement: scoreSetting.positive().optional(), fit: scoreSetting.positive().optional() }).strict().default({}),
    thresholds: z
      .object({ mql: z.object({ engagement: scoreSetting.default(0), fit: scoreSetting.default(0) }).strict() })
      .strict()
      .default({ mql: { engagement: 100, fit: 0 } }),
    engagement: z.array(engagementRuleSchema).max(500).default([]),
    fit: z.array(fitRuleSchema).max(500).default([]),
  })
  .strict()
  .superRefine((s, ctx) => {
    const seen = new Set<string>();
    [...s.engagement, ...s.fit].forEach((rule, i) => {
      if (seen.has(rule.id)) {
        const inFit = i >= s.engagement.length;
        ctx.addIssue({ code: 'custom', path: [inFit ? 'fit' : 'engagement', inFit ? i - s.engagement.length : i, 'id'], message: `duplicate rule id "${rule.id}"` });
      }
      seen.add(rule.id);
    });
  });

export type ScoringRules = z.infer<typeof scoringSchema>;
export type EngagementRule = z.infer<typeof engagementRuleSchema>;
export type FitRule = z.infer<typeof fitRuleSchema>;

/**
 * The version of a rule set: a short hash of its content, so every change gets a new version
 * without anyone having to remember to bump it.
 *
 * @example
 * ruleVersion(rules) // 'r-3f9a1c2e7b4d'
 */
export function ruleVersion(rules: ScoringRules): string {
  return 'r-' + createHash('sha256').update(JSON.stringify(rules)).digest('hex').slice(0, 12);
}
