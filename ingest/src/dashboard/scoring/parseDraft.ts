import { describeZodError, issuePath } from '../../../../shared/src/schemas.js';
import { scoringSchema, type ScoringRules } from '../../scoring/rulesSchema.js';
import { unstorable } from '../../collect/unstorable.js';

/** A draft read from the editor: its rules, or what is wrong, naming the field. */
export type ParsedDraft = { ok: true; rules: ScoringRules } | { ok: false; message: string; field?: string };

/**
 * Reads the draft editor's JSON into a rule set. Errors name the field from the rule set's
 * root (`engagement.2.points: …`), or the line and column of a JSON syntax error.
 *
 * @example
 * parseDraft('{"engagement": [{"id": "x", "match": {}, "points": "ten"}]}')
 * // { ok: false, message: 'engagement.0.points: Invalid input: expected number, received string', field: 'engagement.0.points' }
 */
export function parseDraft(text: string): ParsedDraft {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const at = /position (\d+)/.exec(message)?.[1];
    if (at === undefined) return { ok: false, message: `rules: not valid JSON (${message})`, field: 'rules' };
    const before = text.slice(0, Number(at)).split('\n');
    return { ok: false, message: `rules: not valid JSON at line ${before.length}, column ${before.at(-1)!.length + 1} (${message.replace(/ in JSON at position \d+.*$/, '')})`, field: 'rules' };
  }
  // `"\u0000"` in the JSON text is a NUL once parsed: no store keeps it (the API refuses it alike).
  const bad = unstorable(raw);
  if (bad) return { ok: false, message: `${bad.field}: ${bad.problem}`, field: bad.field };
  const parsed = scoringSchema.safeParse(raw);
  if (!parsed.success) {
    const path = parsed.error.issues[0] ? issuePath(parsed.error.issues[0]) : [];
    return { ok: false, message: describeZodError(parsed.error), ...(path.length && { field: path.map(String).join('.') }) };
  }
  return { ok: true, rules: parsed.data };
}
