/** How deep objects inside an event may nest (props, traits, campaign). */
export const MAX_NESTING = 8;

/**
 * A UTF-16 surrogate without its other half: a high one not followed by a low one, or a low one
 * not preceded by a high one. JSON.parse makes one from `"\ud800"`; it has no UTF-8 form, so
 * PostgreSQL refuses the `\ud800` escape when it reads the event's JSON (jsonb) and text gets it
 * replaced by U+FFFD, while SQLite keeps it as sent.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

/** Why a piece of text cannot be stored, or undefined when it can. */
export function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'a NUL character (\\u0000)';
  if (LONE_SURROGATE.test(text)) return 'a lone UTF-16 surrogate (half of a pair, such as \\ud800)';
  return undefined;
}

/** A property name as it is named in a message: NUL and lone surrogates written as escapes. */
function printable(key: string): string {
  return key
    .replaceAll('\u0000', '\\u0000')
    .replace(LONE_SURROGATES, (half) => '\\u' + half.charCodeAt(0).toString(16).padStart(4, '0'));
}

/**
 * The first value of an event that no store could keep as sent, with its path: a NUL character
 * or a lone UTF-16 surrogate in any text or property name (PostgreSQL refuses both), or nesting
 * deeper than MAX_NESTING. Checked before validation, so such an event is refused alone, with a
 * message, instead of failing its batch. Undefined when every value can be stored.
 *
 * @example
 * unstorable({ props: { note: 'a\u0000b' } }) // { field: 'props.note', problem: 'contains a NUL character (\\u0000), which cannot be stored' }
 * unstorable({ traits: { company: '\ud800' } }) // { field: 'traits.company', problem: 'contains a lone UTF-16 surrogate (...), which cannot be stored' }
 */
export function unstorable(event: unknown): { field: string; problem: string } | undefined {
  const stack: Array<{ value: unknown; path: string[] }> = [{ value: event, path: [] }];
  while (stack.length) {
    const { value, path } = stack.pop()!;
    const field = path.join('.') || '(event)';
    if (typeof value === 'string') {
      const problem = textProblem(value);
      if (problem) return { field, problem: `contains ${problem}, which cannot be stored` };
    } else if (value && typeof value === 'object') {
      if (path.length >= MAX_NESTING) return { field, problem: `nests objects more than ${MAX_NESTING} levels deep` };
      for (const [key, child] of Object.entries(value)) {
        const problem = textProblem(key);
        if (problem) return { field: [...path, printable(key)].join('.'), problem: `a property name contains ${problem}` };
        stack.push({ value: child, path: [...path, key] });
      }
    }
  }
  return undefined;
}
