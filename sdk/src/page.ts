import type { FunnelStage } from '../../shared/src/types.js';

/**
 * Reads the page's funnel stage and content category from its markup:
 * `<meta name="leadbeam:stage" content="top|middle|bottom">` and
 * `<meta name="leadbeam:category" content="…">`. The ingest trims, lowercases the stage and
 * ignores one it does not know, so a typo never costs the page view.
 *
 * @example
 * readPageTags(document) // { stage: 'bottom', category: 'pricing' }
 */
export const readPageTags = (doc: Document): { stage?: string; category?: string } => {
  const meta = (name: string) => doc.querySelector<HTMLMetaElement>(`meta[name="leadbeam:${name}"]`)?.content;
  return { stage: meta('stage'), category: meta('category') };
};
