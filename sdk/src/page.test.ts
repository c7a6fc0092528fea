import { afterEach, describe, expect, it } from 'vitest';
import { readCampaign, readPageTags } from './page.js';

afterEach(() => {
  document.head.innerHTML = '';
});

describe('readPageTags', () => {
  it('reads the funnel stage and category from meta tags', () => {
    document.head.innerHTML = '<meta name="leadbeam:stage" content=" Bottom "><meta name="leadbeam:category" content="pricing">';
    expect(readPageTags(document)).toEqual({ stage: 'bottom', category: 'pricing' });
  });

  it('ignores a stage that is not top, middle or bottom', () => {
    document.head.innerHTML = '<meta name="leadbeam:stage" content="sideways"><meta name="leadbeam:category" content="blog">';
    expect(readPageTags(document)).toEqual({ category: 'blog' });
  });

  it('gives nothing for an untagged page', () => {
    expect(readPageTags(document)).toEqual({});
  });
});

describe('readCampaign', () => {
  it('takes UTM parameters and ad click ids', () => {
    expect(readCampaign('?utm_source=linkedin&utm_medium=paid&utm_campaign=q4&gclid=abc&x=1')).toEqual({
      source: 'linkedin',
      medium: 'paid',
      campaign: 'q4',
      gclid: 'abc',
    });
  });

  it('gives nothing without campaign parameters', () => {
    expect(readCampaign('?page=2')).toBeUndefined();
  });
});
