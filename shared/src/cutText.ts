/**
 * `text` cut to at most `max` UTF-16 code units (its `length`) without splitting a surrogate
 * pair: when the cut falls inside a character outside the Basic Multilingual Plane (most emoji),
 * that character goes whole. A plain `slice` keeps its first half, a lone surrogate that
 * PostgreSQL refuses in JSON and replaces with U+FFFD in text, and SQLite stores as is.
 * (`String.prototype.toWellFormed` would not do: it replaces the half with U+FFFD.) A string of
 * `max` code units or fewer comes back unchanged.
 *
 * @example
 * cutText('ab🚀', 3) // 'ab' ('ab' + '\ud83d' with slice)
 * cutText('ab🚀', 4) // 'ab🚀'
 */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = max > 0 && isHighSurrogate(text.charCodeAt(max - 1)) ? max - 1 : max;
  return text.slice(0, Math.max(0, end));
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
