import { afterEach, describe, expect, it } from 'vitest';
import { readPageTags } from './page.js';

afterEach(() => {
  document.head.innerHTML = '';
});

describe('readPageTags', () => {
  it('reads the funnel stage and category from meta tags', () => {
    document.head.innerHTML = '<meta name="leadbeam:stage" content="bottom"><meta name="leadbeam:category" content="pricing">';
    expect(readPageTags(document)).toEqual({ stage: 'bottom', category: 'pricing' });
  });

  it('gives nothing for an untagged page', () => {
    expect(readPageTags(document)).toEqual({ stage: undefined, category: undefined });
  });
});
