import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePathPattern } from '../config/pageRules.js';
import { createScorer, emptyState, type ScoredEvent } from './engine.js';
import { canonicalize } from './linearGlob.js';
import { scoringSchema } from './rulesSchema.js';

/** The regular expressions wildcards used to compile to (and V8 backtracked on): the oracle. */
const escape = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
const oldNameGlob = (pattern: string) => new RegExp(`^${pattern.split('*').map(escape).join('.*')}$`, 'i');
function oldPathPattern(pattern: string) {
  const underSection = pattern.endsWith('/**');
  const body = underSection ? pattern.slice(0, -3) : pattern.length > 1 && pattern.endsWith('/') ? pattern.slice(0, -1) : pattern;
  const source = body
    .split(/(\*\*|\*)/)
    .map((part) => (part === '**' ? '.*' : part === '*' ? '[^/]*' : escape(part)))
    .join('');
  return new RegExp(`^${source}${underSection ? '(/.*)?' : ''}$`);
}

const event = (name: string): ScoredEvent => ({ id: 'e1', ts: 1, type: 'track', name, path: '/', stage: null, category: null, visit: 1, sessionId: 's', props: null, traits: null });
/** Whether an engagement rule with this name pattern matches an event of this name. */
const nameMatches = (pattern: string, name: string) =>
  createScorer(scoringSchema.parse({ engagement: [{ id: 'r', match: { name: pattern }, points: 1 }] })).scoreEvent(emptyState(), event(name)).hits.length === 1;

/** Characters where wildcards and case folding differ: line breaks, "/", and letters whose case folding is special. */
const tricky = ['a', 'A', 'b', '-', '.', '/', '\n', '\r', '\u2028', 'ß', 'ẞ', 'ſ', 's', 'S', 'K', 'k', '\u212a', 'İ', 'i', 'ı', 'σ', 'ς', 'Σ', '\ud801', '\udc28'];
const text = (extra: string[], minLength: number, maxLength: number) => fc.array(fc.constantFrom(...tricky, ...extra), { minLength, maxLength }).map((a) => a.join(''));

describe('wildcards, matched in linear time', () => {
  it('event-name globs answer as their old case-insensitive regular expressions did (property)', () => {
    fc.assert(
      // An empty name pattern is no condition at all.
      fc.property(text(['*', '*'], 1, 8), text(['*'], 0, 12), (pattern, name) => {
        expect(nameMatches(pattern, name)).toBe(oldNameGlob(pattern).test(name));
      }),
      { numRuns: 2000 },
    );
    expect(nameMatches('demo-*', 'Demo-Request')).toBe(true);
    expect(nameMatches('*.PDF', 'guide.pdf')).toBe(true);
    expect(nameMatches('*.pdf', 'guide.pdf.zip')).toBe(false);
    expect(nameMatches('a*b*c', 'a\nbc')).toBe(false); // `*` never crossed a line break
  });

  it('path patterns answer as their old regular expressions did: `*` within a segment, `**` across (property)', () => {
    // Patterns with `*` only, `**` only and both take different strategies.
    const segment = (wildcards: readonly string[]) => fc.array(fc.constantFrom('a', 'b', '.', '\n', '?', '(', 'ſ', '\ud801', '\udc28', ...wildcards), { maxLength: 4 }).map((a) => a.join(''));
    const pathPattern = fc
      .constantFrom(['*'], ['**'], ['*', '**'])
      .chain((wildcards) => fc.array(segment(wildcards), { minLength: 1, maxLength: 4 }))
      .map((segments) => '/' + segments.join('/'));
    const path = fc.array(fc.constantFrom('a', 'b', '.', '/', '/', '\n', '*', 'ſ', '\ud801', '\udc28'), { maxLength: 12 }).map((a) => '/' + a.join(''));
    fc.assert(
      fc.property(pathPattern, path, (pattern, p) => {
        expect(compilePathPattern(pattern).test(p)).toBe(oldPathPattern(pattern).test(p));
      }),
      { numRuns: 3000 },
    );
  });

  it('fold case as /…/i does, for every UTF-16 code unit', () => {
    // Code units related by a case mapping are the only ones /x/i can take for one another.
    const units = Array.from({ length: 0x10000 }, (_, c) => String.fromCharCode(c));
    const related = new Map<string, string[]>();
    for (const u of units) for (const key of new Set([u, u.toUpperCase(), u.toLowerCase()])) related.set(key, [...(related.get(key) ?? []), u]);
    for (const u of units) {
      const re = new RegExp(`^\\u${u.charCodeAt(0).toString(16).padStart(4, '0')}$`, 'i');
      const candidates = new Set([u.toUpperCase(), u.toLowerCase(), u].flatMap((k) => related.get(k) ?? []));
      for (const other of candidates) if (re.test(other) !== (canonicalize(u) === canonicalize(other))) expect.fail(`U+${u.charCodeAt(0).toString(16)} and U+${other.charCodeAt(0).toString(16)}`);
    }
  });

  it('answer at once where V8 backtracked for seconds: many wildcards against a long string', () => {
    const started = performance.now();
    // Old: `^.*a.*a.*a.*a.*a.*a.*a.*a.*b$` against 200 "a"s backtracks through ~200^8 splits.
    expect(nameMatches('*a*a*a*a*a*a*a*a*b', 'a'.repeat(200))).toBe(false);
    expect(nameMatches('*a*a*a*a*a*a*a*a*', 'a'.repeat(200))).toBe(true);
    expect(compilePathPattern('/**a**a**a**a**a**a**a**b').test('/' + 'a'.repeat(2000))).toBe(false);
    expect(compilePathPattern('/*a*a*a*a*a*a*a*b/**').test('/' + 'a'.repeat(2000))).toBe(false);
    expect(compilePathPattern('/*a*a*a*a*a*a*a*a/**').test('/' + 'a'.repeat(2000) + '/x')).toBe(true);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
