import { RE2JS } from 're2js';
import type { Matcher } from './linearGlob.js';

/**
 * Fit rules' regular expressions (`matches`), which anyone who may backtest can write. They are
 * never run by V8's backtracking engine, where `(a*)*b` against thirty `a`s blocks the process
 * for seconds: RE2JS (a JavaScript port of RE2) matches in time linear in the input. Rules are
 * written in JavaScript's syntax; what RE2 cannot match in linear time (backreferences,
 * lookarounds) or would read differently is refused when a rule set is validated, naming the
 * field. One form of lookahead is kept, because it is how a rule says "not one of these"
 * (`^(?!(de|fr)$)`): lookaheads right after a leading `^`, which test the start of the value
 * only, so each runs once as its own anchored RE2 pattern.
 */

/** The longest pattern a rule may hold. */
export const MAX_PATTERN_LENGTH = 500;
/** The most instructions a compiled pattern may have: matching costs up to input × this. */
export const MAX_PROGRAM_SIZE = 2000;

/** Letters JavaScript gives a meaning after "\" (`\d`, `\b`, `\x41`, …) that RE2 reads alike. */
const SAME_ESCAPES = new Set('dDwWsSbBnrtfvxuc');
const LINEAR = "a rule's pattern must match in linear time";

/**
 * Walks a valid JavaScript pattern: `onEscape` for each escape ("\" and what follows), `onChar`
 * for each other character, with whether it is inside a character class and, outside one, the
 * group depth before it. Either may return a message, which stops the walk and is returned.
 */
function walk(
  pattern: string,
  onEscape: (i: number, inClass: boolean) => string | undefined,
  onChar: (i: number, inClass: boolean, depth: number) => string | undefined,
): string | undefined {
  let inClass = false;
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    const problem = c === '\\' ? onEscape(i, inClass) : onChar(i, inClass, depth);
    if (problem) return problem;
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '[') {
      inClass = true;
      // "]" just after "[" or "[^" closes the class in JavaScript ("[]" matches nothing).
      if (pattern[i + 1] === '^') i++;
      if (pattern[i + 1] === ']') [inClass, i] = [false, i + 1];
    }
  }
  return undefined;
}

/** What in a piece of a JavaScript pattern RE2 cannot match or would read differently: a message, or undefined. */
function unsupportedSyntax(pattern: string): string | undefined {
  return walk(
    pattern,
    (i, inClass) => {
      const n = pattern[i + 1] ?? '';
      if (n === 'k' || (!inClass && n >= '1' && n <= '9')) return `backreferences (\\${n}…) are not supported: ${LINEAR}`;
      if (/[a-z]/i.test(n) && !SAME_ESCAPES.has(n)) return `"\\${n}" is not supported (JavaScript reads it as the letter "${n}", RE2 differently): write ${n}`;
      if (n === 'c' && !/[a-z]/i.test(pattern[i + 2] ?? '')) return '"\\c" must be followed by a letter';
      if (n === 'u' && pattern[i + 2] === '{') return '"\\u{…}" is not supported (without the u flag JavaScript reads it as a repetition): write \\uXXXX';
      return undefined;
    },
    (i, inClass) => {
      const c = pattern[i];
      if (inClass && c === '[' && pattern[i + 1] === ':') return '"[:" in a class is not supported (RE2 reads [:alpha:] as a POSIX class, JavaScript as characters): write \\[: or the letters';
      if (!inClass && c === '(' && /^\?(=|!|<=|<!)/.test(pattern.slice(i + 1, i + 4))) {
        return `lookarounds ((?=…), (?!…), (?<=…), (?<!…)) are not supported, except lookaheads right after a leading ^ (^(?!…)…): ${LINEAR}`;
      }
      return undefined;
    },
  );
}

/** A pattern cut into its leading lookaheads (`^(?=a)(?!b)…`) and the rest. */
interface Pieces {
  lookaheads: Array<{ negative: boolean; body: string }>;
  rest: string;
}

/** Cuts the lookaheads right after a leading `^` off a valid JavaScript pattern. */
function cutLeadingLookaheads(pattern: string): Pieces | { problem: string } {
  const lookaheads: Pieces['lookaheads'] = [];
  let at = pattern.startsWith('^(?=') || pattern.startsWith('^(?!') ? 1 : 0;
  if (!at) return { lookaheads, rest: pattern };
  while (pattern.startsWith('(?=', at) || pattern.startsWith('(?!', at)) {
    // The lookahead's ")": the first one after it back at the top level.
    let close = -1;
    walk(pattern, () => undefined, (i, inClass, depth) => {
      if (i > at && !inClass && depth === 1 && pattern[i] === ')') close = i;
      return close >= 0 ? 'found' : undefined;
    });
    if (close < 0) return { problem: 'an unclosed lookahead' };
    lookaheads.push({ negative: pattern[at + 2] === '!', body: pattern.slice(at + 3, close) });
    at = close + 1;
  }
  const rest = pattern.slice(at);
  const alternative = walk(rest, () => undefined, (i, inClass, depth) => (!inClass && depth === 0 && rest[i] === '|' ? 'found' : undefined));
  if (alternative) return { problem: `a leading lookahead must apply to the whole pattern: put the alternatives after it in a group (^(?!…)(?:a|b))` };
  return { lookaheads, rest };
}

/** Compiles a piece of a JavaScript pattern with RE2JS, case-insensitive; throws RE2JS's error. */
const compileRe2 = (pattern: string) => RE2JS.compile(RE2JS.translateRegExp(pattern), RE2JS.CASE_INSENSITIVE);

/** A pattern compiled to linear-time matching, or why it is refused. */
function checkPattern(pattern: string): { matcher: Matcher } | { problem: string } {
  if (pattern.length > MAX_PATTERN_LENGTH) return { problem: `at most ${MAX_PATTERN_LENGTH} characters` };
  try {
    // Compiling only parses: V8 runs nothing until a match.
    new RegExp(pattern, 'i');
  } catch (err) {
    return { problem: `not a valid regular expression (${(err as Error).message.replace(/^Invalid regular expression: /, '')})` };
  }
  const pieces = cutLeadingLookaheads(pattern);
  if ('problem' in pieces) return pieces;
  const { lookaheads, rest } = pieces;
  const unsupported = [...lookaheads.map((l) => l.body), rest].map(unsupportedSyntax).find(Boolean);
  if (unsupported) return { problem: unsupported };
  let assertions: Array<{ negative: boolean; re: RE2JS }>;
  let main: RE2JS;
  try {
    // A lookahead after the leading ^ tests the value's start: the pattern matches when each
    // lookahead's body matches (or, negative, does not) at the start, and the rest matches there.
    assertions = lookaheads.map((l) => ({ negative: l.negative, re: compileRe2(`^(?:${l.body})`) }));
    main = compileRe2(lookaheads.length ? `^(?:${rest})` : rest);
  } catch (err) {
    return { problem: `not supported by the linear-time engine (RE2): ${(err as Error).message.replace(/^error parsing regexp: /, '')}` };
  }
  const size = assertions.reduce((n, a) => n + a.re.programSize(), main.programSize());
  if (size > MAX_PROGRAM_SIZE) return { problem: `too complex: it compiles to ${size} instructions, at most ${MAX_PROGRAM_SIZE} (use smaller repetition counts)` };
  if (!assertions.length) return { matcher: { test: (input) => main.test(input) } };
  return { matcher: { test: (input) => assertions.every((a) => a.re.test(input) !== a.negative) && main.test(input) } };
}

/**
 * Why a fit rule's `matches` is refused, or undefined when it is accepted: it must be a valid
 * JavaScript regular expression that RE2 matches alike, in linear time.
 *
 * @example
 * rulePatternProblem('cfo|controller') // undefined
 * rulePatternProblem('(a)\\1')         // 'backreferences (\1…) are not supported: …'
 */
export function rulePatternProblem(pattern: string): string | undefined {
  const checked = checkPattern(pattern);
  return 'problem' in checked ? checked.problem : undefined;
}

const NEVER: Matcher = { test: () => false };

/**
 * Compiles a fit rule's pattern for matching: case-insensitive, unanchored (as `RegExp.test`),
 * in linear time. A pattern validation refuses (only in a rule set stored before validation
 * refused it) matches nothing rather than run on a backtracking engine.
 *
 * @example
 * compileRulePattern('cfo|controller').test('Financial Controller') // true
 */
export function compileRulePattern(pattern: string): Matcher {
  const checked = checkPattern(pattern);
  return 'problem' in checked ? NEVER : checked.matcher;
}
