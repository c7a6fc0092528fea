import type { FunnelStage } from '../../../shared/src/types.js';

/** A page of the demo site as its script reports it: path, title, and funnel markup when the page declares one. */
export interface DemoPage {
  path: string;
  title: string;
  /** From the page's own `leadbeam:stage` / `leadbeam:category` markup (URL rules cover the rest). */
  stage?: FunnelStage;
  category?: string;
}

/**
 * The demo site's real pages (`demo-site/pages`), the ones the demo data's visitors browse.
 * Kept here rather than read from `demo-site/` because the built ingest does not ship the demo
 * site; `seedDemoData.test.ts` checks the two agree.
 */
export const DEMO_PAGES = {
  home: { path: '/', title: 'Close your books in two days, not ten' },
  blog: { path: '/blog/', title: 'Blog' },
  slowClose: { path: '/blog/five-signs-your-close-is-too-slow', title: 'Five signs your month-end close is too slow' },
  spreadsheets: { path: '/blog/spreadsheets-vs-close-software', title: 'Spreadsheets or close software: an honest comparison' },
  guides: { path: '/guides/', title: 'Guides' },
  checklist: { path: '/guides/month-end-close-checklist', title: 'The month-end close checklist, step by step' },
  benchmark: { path: '/resources/', title: 'The 2026 month-end close benchmark', stage: 'middle', category: 'whitepaper' },
  pricing: { path: '/pricing', title: 'Pricing' },
  demo: { path: '/demo', title: 'Book a demo' },
  newsletter: { path: '/newsletter', title: 'The Close newsletter' },
  careers: { path: '/careers/', title: 'Careers' },
  demoThanks: { path: '/thanks', title: 'Your demo is requested' },
  newsletterThanks: { path: '/thanks', title: "You're subscribed" },
} as const satisfies Record<string, DemoPage>;

export type DemoPageName = keyof typeof DEMO_PAGES;
