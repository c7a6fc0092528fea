import type { Campaign } from '../../../shared/src/types.js';

const PARAMS: Array<[string, keyof Campaign]> = [
  ['utm_source', 'source'],
  ['utm_medium', 'medium'],
  ['utm_campaign', 'campaign'],
  ['utm_term', 'term'],
  ['utm_content', 'content'],
  ['gclid', 'gclid'],
  ['fbclid', 'fbclid'],
  ['msclkid', 'msclkid'],
  ['li_fat_id', 'li_fat_id'],
];

/**
 * The campaign an event itself carries: UTM parameters and ad click ids in its URL, and a
 * referrer from another site. Undefined for an event with neither (it inherits its visit's).
 *
 * @example
 * campaignOf('https://a.example/?utm_source=news&gclid=x', 'https://www.google.com/')
 * // { source: 'news', gclid: 'x', referrer: 'https://www.google.com/' }
 */
export function campaignOf(url: string, referrer?: string | null): Campaign | undefined {
  const found: Campaign = {};
  let page: URL;
  try {
    page = new URL(url);
  } catch {
    return undefined;
  }
  // `;` separates parameters as `&` does, as the secret filter reads them (`?gclid=G;utm_campaign=x`).
  const params = new URLSearchParams(page.search.slice(1).replace(/;/g, '&'));
  for (const [param, key] of PARAMS) {
    const value = params.get(param)?.trim();
    if (value) found[key] = value.slice(0, key === 'gclid' || key === 'fbclid' || key === 'msclkid' || key === 'li_fat_id' ? 500 : 200);
  }
  if (referrer && URL.canParse(referrer) && new URL(referrer).host !== page.host) found.referrer = referrer;
  return Object.keys(found).length ? found : undefined;
}
