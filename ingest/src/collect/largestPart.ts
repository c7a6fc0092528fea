/**
 * The dotted path of the largest part of an event (two levels down at most), to name the field
 * at fault when the event is over the size limit; `(event)` when it has no parts.
 *
 * @example
 * largestPart({ type: 'pageview', props: { note: 'x'.repeat(40_000) } }) // 'props.note'
 */
export function largestPart(value: unknown, path: string[] = []): string {
  if (!value || typeof value !== 'object' || path.length >= 2) return path.join('.') || '(event)';
  let best: [string, number] | undefined;
  for (const [key, child] of Object.entries(value)) {
    // In bytes, as the limit is: 8,000 three-byte characters outweigh 20,000 ASCII ones.
    const size = Buffer.byteLength(JSON.stringify(child ?? null));
    if (!best || size > best[1]) best = [key, size];
  }
  return best ? largestPart((value as Record<string, unknown>)[best[0]], [...path, best[0]]) : path.join('.') || '(event)';
}
