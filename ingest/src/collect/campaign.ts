import { textProblem } from './unstorable.js';
import { CLICK_ID_PARAM, dropSensitiveUrlText, idLooksSensitive, looksSensitiveValue, stripSecretParams, stripSecretsInText } from '../../../shared/src/sensitive.js';
import { cutText } from '../../../shared/src/cutText.js';
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
    // Decoded here, after the event's own check: `%00` becomes a NUL no store keeps, and is left out.
    if (value && textProblem(value)) continue;
    // Cut as the schema cuts a sent campaign (`?utm_source=%F0%9F%9A%80` decodes to an emoji).
    if (value) found[key] = cutText(value, key === 'gclid' || key === 'fbclid' || key === 'msclkid' || key === 'li_fat_id' ? 500 : 200);
  }
  if (referrer && URL.canParse(referrer) && new URL(referrer).host !== page.host) found.referrer = referrer;
  return Object.keys(found).length ? found : undefined;
}

/**
 * A campaign value without secret parameters, read more eagerly than prose (campaign values are
 * tokens, not sentences): URLs inside it, then whatever follows a `?` or `#` as a URL's query
 * or fragment (`landing?token=…`), and a bare query string (`a=1&token=…`) as one.
 */
function stripCampaignSecrets(value: string): string {
  if (/^[^\s?#=&;]+=/.test(value)) return stripSecretParams(`?${value}`).slice(1);
  const text = stripSecretsInText(value);
  return /[?#]/.test(text) ? stripSecretParams(text) : text;
}

/**
 * A campaign as stored, whoever sent it (a server-side sender's `campaign`, or read from the
 * URL). A UTM field holding a card or social security number anywhere (`looksSensitiveValue`)
 * is dropped, as a property value is; a click id is judged as an id (`idLooksSensitive`), so
 * random ids stay. What is kept loses its secret parameters when it is, or holds, a URL or a
 * query string. The referrer goes by `dropSensitiveUrlText`. Fields left empty go. The visit's
 * other events inherit what is left.
 *
 * @example
 * cleanCampaign({ term: '4111 1111 1111 1111', source: 'https://x.example/?token=T', medium: 'cpc' })
 * // { source: 'https://x.example/', medium: 'cpc' }
 */
export function cleanCampaign(campaign: Campaign): Campaign {
  const out: Campaign = {};
  for (const [key, value] of Object.entries(campaign) as Array<[keyof Campaign, string | undefined]>) {
    if (value === undefined) continue;
    let kept: string | undefined;
    if (key === 'referrer') kept = dropSensitiveUrlText(value);
    else if (!(CLICK_ID_PARAM.test(key) ? idLooksSensitive(value) : looksSensitiveValue(value))) kept = stripCampaignSecrets(value);
    if (kept) out[key] = kept;
  }
  return out;
}
