import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TrackedEvent } from '../../shared/src/types.js';
import { startAutocapture } from './autocapture.js';
import { createTracker } from './tracker.js';

let events: TrackedEvent[];
let beaconed: TrackedEvent[];

beforeAll(() => {
  (window as any).happyDOM.setURL('https://www.example.com/start');
  vi.stubGlobal(
    'fetch',
    vi.fn(async (_url: string, init: RequestInit) => {
      events.push(...JSON.parse(String(init.body)).events);
      return new Response('{}');
    }),
  );
  // happy-dom follows links and submits forms; the tests stay on the page (the script's own
  // capture-phase listeners still run first, as in a browser).
  document.addEventListener('click', (e) => e.preventDefault());
  HTMLFormElement.prototype.submit = function () {};
  // One tracker for the file: autocapture listens on the window for the page's lifetime.
  startAutocapture(createTracker({ site: 'demo', api: 'https://t.example', delay: 10 }), true);
});

beforeEach(() => {
  events = [];
  beaconed = [];
  vi.spyOn(navigator, 'sendBeacon').mockImplementation((_u, body) => (beaconed.push(...JSON.parse(String(body)).events), true));
  document.body.innerHTML = '';
});

afterEach(() => {
  vi.restoreAllMocks();
});

const settle = () => new Promise((r) => setTimeout(r, 40));
/** A route's page view is read once it has settled (300 ms), as routers set its title and tags after the URL. */
const settleRoute = () => new Promise((r) => setTimeout(r, 340));
const click = (el: Element, button = 0) => el.dispatchEvent(new MouseEvent(button ? 'auxclick' : 'click', { bubbles: true, cancelable: true, button }));
const only = (type: string) => events.filter((e) => e.type === type);

describe('downloads', () => {
  it('reports a click on a link to a file, without the query string', async () => {
    document.body.innerHTML = '<a href="/files/Close%20Benchmark.pdf?token=secret"><span>Get it</span></a>';
    click(document.querySelector('span')!);
    await settle();
    expect(only('download')).toMatchObject([{ name: 'Close%20Benchmark.pdf', props: { url: 'https://www.example.com/files/Close%20Benchmark.pdf' } }]);
    expect(JSON.stringify(events)).not.toContain('secret');
  });

  it('never throws into the page, even for a link it cannot read', async () => {
    const errors: unknown[] = [];
    const onError = (e: ErrorEvent) => errors.push(e.error ?? e.message);
    window.addEventListener('error', onError);
    try {
      document.body.innerHTML = '<a href="http://[::1">Broken</a><a href="/files/after.pdf">After</a>';
      expect(() => click(document.querySelectorAll('a')[0]!)).not.toThrow();
      click(document.querySelectorAll('a')[1]!);
      await settle();
      expect(errors).toEqual([]);
      expect(only('download').map((e) => e.name)).toEqual(['after.pdf']);
    } finally {
      window.removeEventListener('error', onError);
    }
  });

  it('counts middle clicks, not right clicks', async () => {
    document.body.innerHTML = '<a href="/report.xlsx">x</a>';
    click(document.querySelector('a')!, 1);
    click(document.querySelector('a')!, 2);
    await settle();
    expect(only('download')).toHaveLength(1);
  });

  it('ignores links to pages', async () => {
    document.body.innerHTML = '<a href="/pricing">a</a><a href="/about.html">b</a><a href="/blog/">c</a>';
    for (const a of document.querySelectorAll('a')) click(a);
    await settle();
    expect(only('download')).toHaveLength(0);
  });

  it('reports anything marked as a download in markup, and links with a download attribute', async () => {
    document.body.innerHTML = '<button data-leadbeam-download="Brochure 2026">Get</button><a href="/export" download>csv</a>';
    click(document.querySelector('button')!);
    click(document.querySelector('a')!);
    await settle();
    expect(only('download')).toMatchObject([
      { name: 'Brochure 2026', props: { marked: true } },
      { name: 'export', props: { marked: true } },
    ]);
  });
});

describe('marked clicks', () => {
  it('sends the named event with its data-leadbeam-prop-* properties', async () => {
    document.body.innerHTML = '<button data-leadbeam-event="webinar_signup" data-leadbeam-prop-webinar="q4-close" data-leadbeam-prop-seats="3"><b>Join</b></button>';
    click(document.querySelector('b')!);
    await settle();
    expect(only('click')).toMatchObject([{ name: 'webinar_signup', props: { webinar: 'q4-close', seats: '3' } }]);
  });
});

describe('forms', () => {
  it('captures a submitted form with the traits it may share', async () => {
    document.body.innerHTML = '<form id="newsletter-signup" action="/thanks"><input type="email" name="email" value="ana@example.com"><input type="password" name="pw" value="hunter2"></form>';
    const form = document.querySelector('form')!;
    form.addEventListener('submit', (e) => e.preventDefault());
    form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await settle();
    expect(only('form')).toMatchObject([{ name: 'newsletter-signup', traits: { email: 'ana@example.com' } }]);
    expect(JSON.stringify(events)).not.toContain('hunter2');
  });

  it('captures forms submitted by script with form.submit(), once even when a submit handler calls it', async () => {
    document.body.innerHTML = '<form id="js-form" action="/x"><input name="company" value="Fernhill"></form>';
    const form = document.querySelector('form')!;
    form.submit();
    form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await settle();
    expect(only('form')).toMatchObject([{ name: 'js-form', traits: { company: 'Fernhill' } }]);
  });
});

describe('single-page apps', () => {
  it('sends a page view with the previous page view as referrer on pushState and popstate', async () => {
    history.pushState({}, '', '/app/one');
    await settleRoute();
    history.replaceState({}, '', '/app/one?tab=2'); // same path: not a new page
    await settleRoute();
    (window as any).happyDOM.setURL('https://www.example.com/app/two');
    window.dispatchEvent(new PopStateEvent('popstate'));
    await settleRoute();
    expect(only('pageview').map((e) => [e.url, e.referrer])).toEqual([
      ['https://www.example.com/app/one', 'https://www.example.com/start'],
      ['https://www.example.com/app/two', 'https://www.example.com/app/one'],
    ]);
  });

  it("reads the new route's title, stage and category as the router sets them after the URL, and counts no route left at once", async () => {
    const tags = (stage: string, category: string) =>
      (document.head.innerHTML = `<meta name="leadbeam:stage" content="${stage}"><meta name="leadbeam:category" content="${category}">`);
    tags('top', 'blog');
    document.title = 'Blog post';
    history.pushState({}, '', '/app/redirecting');
    history.replaceState({}, '', '/app/pricing'); // a redirect: the route left at once
    // As React Helmet and Next.js do: a frame later.
    await new Promise((r) => setTimeout(r, 16));
    tags('bottom', 'pricing');
    document.title = 'Pricing';
    await settleRoute();
    expect(only('pageview').map((e) => [e.url, e.title, e.stage, e.category])).toEqual([['https://www.example.com/app/pricing', 'Pricing', 'bottom', 'pricing']]);
    history.pushState({}, '', '/app/two');
    await settleRoute();
    document.head.innerHTML = '';
  });

  it("reports the engagement of the route left with that route's own title and tags, not the next one's", async () => {
    document.head.innerHTML = '<meta name="leadbeam:stage" content="middle"><meta name="leadbeam:category" content="guide">';
    document.title = 'The guide';
    vi.useFakeTimers({ toFake: ['Date'] });
    for (let i = 0; i < 3; i++) {
      vi.advanceTimersByTime(2000);
      window.dispatchEvent(new Event('mousemove'));
    }
    history.pushState({}, '', '/app/checkout');
    vi.useRealTimers();
    document.head.innerHTML = '<meta name="leadbeam:stage" content="bottom">';
    document.title = 'Checkout';
    await settleRoute();
    const engagement = only('engagement').at(-1)!;
    expect(engagement.props!.engagedMs).toBeGreaterThan(499);
    expect([engagement.title, engagement.stage, engagement.category]).toEqual(['The guide', 'middle', 'guide']);
    expect(only('pageview').map((e) => [e.title, e.stage])).toEqual([['Checkout', 'bottom']]);
    document.head.innerHTML = '';
  });

  it('counts hash changes when hash routing is on', async () => {
    (window as any).happyDOM.setURL('https://www.example.com/app/two#/settings');
    window.dispatchEvent(new HashChangeEvent('hashchange'));
    await settleRoute();
    expect(only('pageview').map((e) => e.url)).toEqual(['https://www.example.com/app/two#/settings']);
  });

  it('counts Back or Forward to a page restored from the back/forward cache, not an ordinary load', async () => {
    const shown = (persisted: boolean) => Object.assign(new Event('pageshow'), { persisted });
    window.dispatchEvent(shown(false)); // a normal load: its page view is the script's first
    window.dispatchEvent(shown(true));
    await settleRoute();
    expect(only('pageview').map((e) => e.url)).toEqual(['https://www.example.com/app/two#/settings']);
  });
});

describe('engagement and page hide', () => {
  it('reports engaged time and scroll depth when the page is hidden, and beacons the queue', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    for (let i = 0; i < 6; i++) {
      vi.advanceTimersByTime(2000);
      window.dispatchEvent(new Event('mousemove'));
    }
    vi.advanceTimersByTime(60_000); // idle: counts only up to 15 s
    window.dispatchEvent(new Event('pagehide'));
    vi.useRealTimers();
    const engagement = beaconed.find((e) => e.type === 'engagement')!;
    expect(engagement.props!.engagedMs).toBeGreaterThanOrEqual(12_000);
    expect(engagement.props!.engagedMs).toBeLessThanOrEqual(12_000 + 15_000 + 2_000);
    expect(engagement.props!.scrollDepth).toBeGreaterThanOrEqual(0);
  });
});
