/**
 * Whether an `If-None-Match` header matches an ETag, compared weakly as RFC 9110 asks for
 * this header: a list, `*`, and a `W/` tag (what a compressing proxy turns a strong tag into)
 * all count, so a revalidating browser gets its 304.
 *
 * @example
 * etagMatches('W/"abc", "def"', '"abc"') // true
 * etagMatches(undefined, '"abc"')        // false
 */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const opaque = etag.replace(/^W\//, '');
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === opaque;
  });
}
