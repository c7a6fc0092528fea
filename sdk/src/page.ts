import type { FunnelStage } from '../../shared/src/types.js';

const STAGES = ['top', 'middle', 'bottom'];
const CAMPAIGN_PARAMS = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content', 'gclid', 'fbclid', 'msclkid', 'li_fat_id'];

/**
 * Reads the page's funnel stage and content category from its markup:
 * `<meta name="leadbeam:stage" content="top|middle|bottom">` and
 * `<meta name="leadbeam:category" content="…">`. Unknown stages are ignored.
 *
 * @example
 * readPageTags(document) // { stage: 'bottom', category: 'pricing' }
 */
export function readPageTags(doc: Document): { stage?: FunnelStage; category?: string } {
  const meta = (name: string) => doc.querySelector<HTMLMetaElement>(`meta[name="leadbeam:${name}"]`)?.content.trim();
  const stage = meta('stage')?.toLowerCase();
  const category = meta('category');
  return { ...(stage && STAGES.includes(stage) && { stage: stage as FunnelStage }), ...(category && { category }) };
}

/**
 * Takes campaign parameters (UTM and ad click ids) from a query string; `utm_` is dropped
 * from the names.
 *
 * @example
 * readCampaign('?utm_source=news&gclid=x') // { source: 'news', gclid: 'x' }
 */
export function readCampaign(search: string): Record<string, string> | undefined {
  const params = new URLSearchParams(search);
  let found: Record<string, string> | undefined;
  for (const p of CAMPAIGN_PARAMS) {
    const value = params.get(p);
    if (value) (found ||= {})[p.replace('utm_', '')] = value.slice(0, 200);
  }
  return found;
}
