/**
 * Wildcard patterns (event-name globs, page path patterns) matched in time linear in the input,
 * without a backtracking regular-expression engine: on V8, `^.*a.*a.*a.*a.*b$` (the glob
 * `*a*a*a*a*b`) tries every way to place the a's in a long run of them before it fails, which
 * is why rules' wildcards are no longer compiled to `RegExp`. The answers are those of the regular expressions they replace (`.*`,
 * `[^/]*`, and the `i` flag's case folding), code unit for code unit.
 */

/**
 * What a wildcard may match: `line` anything but a line terminator (what `.*` matches in
 * JavaScript), `segment` anything but "/" (what `[^/]*` matches).
 */
export type Wildcard = 'line' | 'segment';

/** A glob: literal text and wildcards, in order. */
export type GlobPart = string | { wildcard: Wildcard };

/** A compiled pattern: `test` says whether the whole input matches. */
export interface Matcher {
  test(input: string): boolean;
}

const LINE = -1;
const SEGMENT = -2;
const LINE_TERMINATOR = /[\n\r\u2028\u2029]/;
const ASCII = /^[\x00-\x7f]*$/;

/** Whether a wildcard (`LINE` or `SEGMENT`) stops at a code unit. */
const stopsAt = (wildcard: number, c: number) => (wildcard === LINE ? c === 10 || c === 13 || c === 0x2028 || c === 0x2029 : c === 47);

/** Whether a string holds a code unit a wildcard kind stops at. */
const holdsStop = (wildcard: number, s: string) => (wildcard === LINE ? LINE_TERMINATOR.test(s) : s.includes('/'));

// A one-entry memo: the engine tests every rule's name pattern against the same event name in turn.
let lastIn = '';
let lastOut = '';

/**
 * A string with each code unit replaced by its canonical form under a JavaScript regular
 * expression's `i` flag (without `u`): its upper case when that is one code unit, unless that
 * would take a non-ASCII character to ASCII. Two strings are equal case-insensitively, as `/…/i`
 * compares them, when their canonical forms are equal.
 *
 * @example
 * canonicalize('Demo-Request') // 'DEMO-REQUEST'
 */
export function canonicalize(s: string): string {
  if (s === lastIn) return lastOut;
  let out: string;
  if (ASCII.test(s)) out = s.toUpperCase();
  else {
    out = '';
    for (let i = 0; i < s.length; i++) {
      const ch = s[i]!;
      const up = ch.toUpperCase();
      out += up.length === 1 && !(ch.charCodeAt(0) >= 128 && up.charCodeAt(0) < 128) ? up : ch;
    }
  }
  lastIn = s;
  lastOut = out;
  return out;
}

/**
 * A matcher for wildcards that may match anything, given the literal text between them (with ''
 * where the glob starts or ends with one; a single piece when there is no wildcard), on `s` from
 * `from` to `to`: the first and last pieces are a prefix and a suffix, the others are found
 * leftmost, in order, with `indexOf` (the earliest place of a piece always leaves the most room
 * for the rest). Linear, no backtracking.
 */
function starsOnly(between: string[]): (s: string, from: number, to: number) => boolean {
  if (between.length === 1) return (s, from, to) => to - from === between[0]!.length && s.startsWith(between[0]!, from);
  const first = between[0]!;
  const last = between[between.length - 1]!;
  const middle = between.slice(1, -1);
  return (s, from, to) => {
    if (to - from < first.length + last.length || !s.startsWith(first, from) || !s.startsWith(last, to - last.length)) return false;
    const end = to - last.length;
    let at = from + first.length;
    for (const piece of middle) {
      const found = s.indexOf(piece, at);
      if (found < 0 || found + piece.length > end) return false;
      at = found + piece.length;
    }
    return true;
  };
}

/** The literal text between the wildcards of pieces, with '' where they start or end with one. */
function literalsBetween(pieces: Array<string | number>): string[] {
  const between: string[] = [''];
  for (const p of pieces) {
    if (typeof p === 'string') between[between.length - 1] += p;
    else between.push('');
  }
  return between;
}

/**
 * Compiles a glob into a linear-time matcher, anchored at both ends. Literal text only: a glob
 * has no other syntax. The strategy is chosen once, the cheapest that is exact:
 *
 * - no wildcard: string equality;
 * - wildcards of one kind whose literal text never holds what they stop at (`demo-*`, `*.pdf`,
 *   a path pattern with `**` only): an input holding such a character cannot match (neither the
 *   text nor a wildcard can take it); otherwise the wildcards match anything (`starsOnly`);
 * - `segment` wildcards only (a path pattern with `*` only): the input must have as many "/" as
 *   the pattern, and each segment between them matches its own piece of pattern (`starsOnly`);
 * - otherwise (`**` and `*` in one path pattern): a Thompson simulation of the pattern's
 *   automaton, one pass over the input, O(input × pattern).
 *
 * Canonical case folding keeps a string's length, so lengths are compared before folding.
 *
 * @example
 * compileGlob(['demo-', { wildcard: 'line' }], { ignoreCase: true }).test('Demo-Request') // true
 */
export function compileGlob(parts: GlobPart[], { ignoreCase = false } = {}): Matcher {
  const fold = ignoreCase ? canonicalize : (s: string) => s;
  // Pieces: literal runs and wildcards, adjacent wildcards of one kind merged (`.*.*` is `.*`).
  const pieces: Array<string | number> = [];
  for (const part of parts) {
    const last = pieces[pieces.length - 1];
    if (typeof part === 'string') {
      if (!part) continue;
      if (typeof last === 'string') pieces[pieces.length - 1] = last + fold(part);
      else pieces.push(fold(part));
    } else {
      const kind = part.wildcard === 'line' ? LINE : SEGMENT;
      if (last !== kind) pieces.push(kind);
    }
  }
  const wildcards = new Set(pieces.filter((p): p is number => typeof p === 'number'));
  const literals = pieces.filter((p): p is string => typeof p === 'string');
  const minLength = literals.reduce((n, l) => n + l.length, 0);

  if (!wildcards.size) {
    const literal = literals[0] ?? '';
    return { test: (input) => input.length === literal.length && fold(input) === literal };
  }

  const [kind] = wildcards;
  if (wildcards.size === 1 && !literals.some((l) => holdsStop(kind!, l))) {
    const match = starsOnly(literalsBetween(pieces));
    return {
      test(input) {
        if (input.length < minLength || holdsStop(kind!, input)) return false;
        const s = fold(input);
        return match(s, 0, s.length);
      },
    };
  }

  if (wildcards.size === 1 && kind === SEGMENT) {
    // A "/" of the text can only be a "/" of the pattern: cut both at every "/".
    const segments: Array<Array<string | number>> = [[]];
    for (const p of pieces) {
      if (typeof p === 'number') segments[segments.length - 1]!.push(p);
      else
        p.split('/').forEach((text, i) => {
          if (i) segments.push([]);
          if (text) segments[segments.length - 1]!.push(text);
        });
    }
    const matchers = segments.map((segment) => starsOnly(literalsBetween(segment)));
    return {
      test(input) {
        if (input.length < minLength) return false;
        const s = fold(input);
        let from = 0;
        for (let k = 0; k < matchers.length; k++) {
          const slash = s.indexOf('/', from);
          const last = k === matchers.length - 1;
          if (last ? slash >= 0 : slash < 0) return false;
          const to = last ? s.length : slash;
          if (!matchers[k]!(s, from, to)) return false;
          from = to + 1;
        }
        return true;
      },
    };
  }

  // Tokens: a code unit (≥ 0) or a wildcard (LINE, SEGMENT). State j: the first j tokens matched.
  const tokens = pieces.flatMap((p) => (typeof p === 'number' ? [p] : Array.from({ length: p.length }, (_, k) => p.charCodeAt(k))));
  const m = tokens.length;
  let current = new Uint8Array(m + 1);
  let next = new Uint8Array(m + 1);
  /** A wildcard may match nothing: a state before one is also a state after it. */
  const close = (states: Uint8Array) => {
    for (let j = 0; j < m; j++) if (states[j] && tokens[j]! < 0) states[j + 1] = 1;
  };
  return {
    test(input) {
      const s = fold(input);
      current.fill(0);
      current[0] = 1;
      close(current);
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        next.fill(0);
        let alive = false;
        for (let j = 0; j < m; j++) {
          if (!current[j]) continue;
          const t = tokens[j]!;
          if (t < 0 ? !stopsAt(t, c) : t === c) {
            next[t < 0 ? j : j + 1] = 1;
            alive = true;
          }
        }
        if (!alive) return false;
        close(next);
        [current, next] = [next, current];
      }
      return current[m] === 1;
    },
  };
}
