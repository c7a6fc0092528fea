import { expect, it } from 'vitest';
import { campaignOf } from './campaign.js';

it('reads UTM parameters and click ids, and a referrer from another site', () => {
  expect(campaignOf('https://a.example/?utm_source=news&utm_medium=email&gclid=x', 'https://www.google.com/')).toEqual({ source: 'news', medium: 'email', gclid: 'x', referrer: 'https://www.google.com/' });
  // The site's own pages are no referrer; nothing at all is no campaign.
  expect(campaignOf('https://a.example/pricing', 'https://a.example/blog')).toBeUndefined();
});

it('splits parameters on ";" as on "&", as the secret filter does', () => {
  expect(campaignOf('https://a.example/?gclid=G;utm_campaign=spring;utm_source=ads')).toEqual({ gclid: 'G', campaign: 'spring', source: 'ads' });
  // An encoded ";" inside a value stays in it.
  expect(campaignOf('https://a.example/?utm_campaign=a%3Bb')).toEqual({ campaign: 'a;b' });
});
