import { expect, it } from 'vitest';
import { campaignOf, cleanCampaign } from './campaign.js';

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

it('drops campaign fields holding a card or social security number and strips secrets from those that are URLs or queries', () => {
  expect(
    cleanCampaign({
      term: '4111 1111 1111 1111',
      campaign: 'SSN 123-45-6789',
      content: '?token=T',
      source: 'https://x.example/?token=T&a=1',
      gclid: '5555555555554444',
      fbclid: '?sig=S&f=1',
      referrer: 'https://b.example/?q=4111111111111111&from=blog',
      medium: 'cpc',
    }),
  ).toEqual({ source: 'https://x.example/?a=1', fbclid: '?f=1', referrer: 'https://b.example/?from=blog', medium: 'cpc' });
  expect(cleanCampaign({ content: 'landing?token=T&a=1', medium: 'a=1&token=T', term: 'token=T', campaign: 'see https://x.example/?a=1 and https://y.example/?sig=S', referrer: 'www.b.example/?token=T' })).toEqual({
    content: 'landing?a=1',
    medium: 'a=1',
    campaign: 'see https://x.example/?a=1 and https://y.example/',
    referrer: 'www.b.example/',
  });
});

it('keeps ordinary campaign values and click ids, judging click ids as ids', () => {
  const campaign = {
    source: 'linkedin',
    medium: 'paid_social',
    campaign: 'spring_sale_2026',
    term: 'lead scoring',
    content: 'ad-123456789012',
    // A hex click id with a Luhn-valid run of digits glued to letters, and a UUID.
    msclkid: 'ab4111111111111111cd0f3e2a1b4c5d6e',
    li_fat_id: '12345678-1234-4123-8123-123456789012',
    gclid: 'EAIaIQobChMI9p2W1Zu4gwMVkZBQBh0PdgAAEAAYASAAEgI3e_D_BwE',
    referrer: 'https://www.google.com/',
  };
  expect(cleanCampaign(campaign)).toEqual(campaign);
});
