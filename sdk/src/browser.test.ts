import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventBatch } from '../../shared/src/types.js';

let batches: EventBatch[];
// Each test loads the script anew; the listeners an earlier test's copy left on the window go.
let listeners: Parameters<typeof addEventListener>[] = [];

beforeEach(() => {
  vi.resetModules();
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  localStorage.clear();
  (window as any).happyDOM.setURL('https://www.example.com/blog/post');
  batches = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (_url: string, init: RequestInit) => {
      batches.push(JSON.parse(String(init.body)));
      return new Response('{}', { status: 200 });
    }),
  );
  delete (window as any).leadbeam;
  document.head.innerHTML = '';
  document.body.innerHTML = '';
  const add = window.addEventListener;
  vi.spyOn(globalThis, 'addEventListener').mockImplementation((...args: Parameters<typeof addEventListener>) => (listeners.push(args), add.apply(window, args)));
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  for (const args of listeners.splice(0)) removeEventListener(...args);
});

/** Puts the tag in the page (happy-dom does not run it) and runs the script as that tag would. */
async function loadScriptTag(attributes: Record<string, string>) {
  const script = document.createElement('script');
  script.src = 'https://ingest.example.com/sdk.js';
  for (const [k, v] of Object.entries(attributes)) script.setAttribute(k, v);
  document.head.append(script);
  await import('./browser.js');
}

/** The script starts when the page is first idle. */
const idle = () => vi.advanceTimersByTimeAsync(2100);

describe('the script tag', () => {
  it('sends a page view to the origin it was loaded from', async () => {
    const urls: string[] = [];
    (fetch as any).mockImplementation(async (url: string, init: RequestInit) => {
      urls.push(url);
      batches.push(JSON.parse(String(init.body)));
      return new Response('{}');
    });
    await loadScriptTag({ 'data-site': 'demo' });
    await idle();
    expect(urls).toEqual(['https://ingest.example.com/v1/collect']);
    expect(batches[0]!.events[0]).toMatchObject({ type: 'pageview', url: 'https://www.example.com/blog/post' });
  });

  it('lets data-api override the endpoint', async () => {
    const urls: string[] = [];
    (fetch as any).mockImplementation(async (url: string) => (urls.push(url), new Response('{}')));
    await loadScriptTag({ 'data-site': 'demo', 'data-api': 'https://collect.example.org' });
    await idle();
    expect(urls).toEqual(['https://collect.example.org/v1/collect']);
  });

  it('replays calls queued before it loaded, in order, and exposes track and visitorId', async () => {
    const stub: any = function (...args: unknown[]) {
      (stub.q = stub.q || []).push(args);
    };
    (window as any).leadbeam = stub;
    stub('track', 'first', { n: 1 });
    stub('track', 'second', { n: 2 });
    await loadScriptTag({ 'data-site': 'demo' });
    (window as any).leadbeam('track', 'before-start'); // the script has loaded but not started
    await idle();
    const leadbeam = (window as any).leadbeam;
    leadbeam.track('third');
    leadbeam('track', 'fourth');
    await vi.advanceTimersByTimeAsync(1000);
    const names = batches.flatMap((b) => b.events).map((e) => e.name ?? e.type);
    expect(names).toEqual(['pageview', 'first', 'second', 'before-start', 'third', 'fourth']);
    expect(leadbeam.visitorId()).toBe(batches[0]!.events[0]!.visitorId);
  });

  it('does no work while the page loads, and records at once when the visitor leaves before it started', async () => {
    const beacons: string[] = [];
    vi.spyOn(navigator, 'sendBeacon').mockImplementation((_u, body) => (beacons.push(String(body)), true));
    await loadScriptTag({ 'data-site': 'demo' });
    expect(localStorage.getItem('lb')).toBeNull();
    expect((window as any).leadbeam.visitorId()).toBeUndefined();
    window.dispatchEvent(new Event('pagehide'));
    expect(beacons).toHaveLength(1);
    expect(JSON.parse(beacons[0]!).events[0]).toMatchObject({ type: 'pageview' });
    vi.restoreAllMocks();
  });

  it('waits while the browser prerenders the page, and starts when the visitor opens it', async () => {
    Object.defineProperty(document, 'prerendering', { value: true, configurable: true });
    await loadScriptTag({ 'data-site': 'demo' });
    await idle();
    expect(batches).toHaveLength(0);
    expect(localStorage.getItem('lb')).toBeNull();
    Object.defineProperty(document, 'prerendering', { value: false, configurable: true });
    document.dispatchEvent(new Event('prerenderingchange'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(batches.flatMap((b) => b.events)).toMatchObject([{ type: 'pageview' }]);
    delete (document as any).prerendering;
  });

  it('never throws into the page', async () => {
    await loadScriptTag({ 'data-site': 'demo' });
    await idle();
    const leadbeam = (window as any).leadbeam;
    expect(() => leadbeam('noSuchMethod')).not.toThrow();
    expect(() => leadbeam.track(Symbol('bad') as any)).not.toThrow();
  });

  it('does nothing without data-site', async () => {
    await loadScriptTag({});
    await idle();
    (window as any).leadbeam('track', 'ignored');
    await vi.advanceTimersByTimeAsync(5000);
    expect(batches).toHaveLength(0);
    expect(localStorage.length).toBe(0);
  });
});

describe('before it has started', () => {
  const names = () => batches.flatMap((b) => b.events).map((e) => (e.type == 'track' ? e.name : e.type));

  it('offers every method at once; calls in both spellings wait and are replayed in order', async () => {
    await loadScriptTag({ 'data-site': 'demo' });
    const leadbeam = (window as any).leadbeam;
    for (const method of ['page', 'track', 'identify', 'visitorId', 'optOut', 'optIn', 'reset', 'flush', 'ready']) expect(typeof leadbeam[method]).toBe('function');
    expect(leadbeam.track('a')).toBeUndefined();
    leadbeam('track', 'b');
    leadbeam.identify('ana@fernhill.example', { company: 'Fernhill' });
    leadbeam('track', 'c', { n: 3 });
    leadbeam.track('d');
    expect(leadbeam.visitorId()).toBeUndefined();
    expect(batches).toHaveLength(0);
    expect(localStorage.getItem('lb')).toBeNull();
    await idle();
    expect(names()).toEqual(['pageview', 'a', 'b', 'identify', 'c', 'd']);
    const events = batches.flatMap((b) => b.events);
    expect(events[3]).toMatchObject({ traits: { email: 'ana@fernhill.example', company: 'Fernhill' } });
    expect(events[4]).toMatchObject({ props: { n: 3 } });
  });

  it('runs ready callbacks in order once started, with the API, and one that throws breaks nothing', async () => {
    await loadScriptTag({ 'data-site': 'demo' });
    const leadbeam = (window as any).leadbeam;
    const ran: string[] = [];
    leadbeam.ready((api: any) => ran.push('first ' + api.visitorId()));
    leadbeam.ready(() => {
      throw new Error('a broken callback');
    });
    leadbeam('ready', (api: any) => (ran.push('second'), api.track('from-ready')));
    leadbeam.track('after');
    expect(ran).toEqual([]);
    await idle();
    const visitorId = batches[0]!.events[0]!.visitorId;
    expect(ran).toEqual([`first ${visitorId}`, 'second']);
    expect(names()).toEqual(['pageview', 'from-ready', 'after']);
    // Once started, ready runs at once.
    leadbeam.ready((api: any) => ran.push('late ' + (api === leadbeam)));
    await Promise.resolve();
    expect(ran.at(-1)).toBe('late true');
    expect(() => leadbeam.ready(() => { throw new Error('again'); })).not.toThrow();
  });

  it('starts at the first interaction and records the click or submission that started it', async () => {
    document.addEventListener('click', (e) => e.preventDefault());
    document.addEventListener('submit', (e) => e.preventDefault());
    document.body.innerHTML = '<a id="pdf" href="/files/benchmark.pdf">PDF</a><form id="signup" action="/thanks"><input type="email" name="email" value="ana@fernhill.example"></form>';
    await loadScriptTag({ 'data-site': 'demo' });
    // A click with no pointerdown before it (a script, the keyboard, assistive technology).
    document.getElementById('pdf')!.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true }));
    expect(localStorage.getItem('lb')).not.toBeNull();
    document.getElementById('signup')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await vi.advanceTimersByTimeAsync(1000);
    expect(batches.flatMap((b) => b.events)).toMatchObject([
      { type: 'pageview' },
      { type: 'download', name: 'benchmark.pdf' },
      { type: 'form', name: 'signup', traits: { email: 'ana@fernhill.example' } },
    ]);
    // The idle start later does nothing more.
    await idle();
    expect(batches.flatMap((b) => b.events)).toHaveLength(3);
  });

  it('starts at once at a key press, and records the form submission that follows', async () => {
    document.addEventListener('submit', (e) => e.preventDefault());
    document.body.innerHTML = '<form id="signup" action="/thanks"><input type="email" name="email" value="ana@fernhill.example"></form>';
    await loadScriptTag({ 'data-site': 'demo' });
    const input = document.querySelector('input')!;
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
    // Started by the key itself, long before the idle start.
    expect(localStorage.getItem('lb')).not.toBeNull();
    expect((window as any).leadbeam.visitorId()).toMatch(/\w{8,}/);
    document.getElementById('signup')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await vi.advanceTimersByTimeAsync(1000);
    expect(batches.flatMap((b) => b.events)).toMatchObject([{ type: 'pageview' }, { type: 'form', name: 'signup', traits: { email: 'ana@fernhill.example' } }]);
    await idle();
    expect(batches.flatMap((b) => b.events)).toHaveLength(2);
  });

  it('starts at once at a pointer press, and records the download click that follows it once', async () => {
    document.addEventListener('click', (e) => e.preventDefault());
    document.body.innerHTML = '<a id="pdf" href="/files/benchmark.pdf">PDF</a>';
    await loadScriptTag({ 'data-site': 'demo' });
    const link = document.getElementById('pdf')!;
    link.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true, cancelable: true }));
    expect(localStorage.getItem('lb')).not.toBeNull();
    expect((window as any).leadbeam.visitorId()).toMatch(/\w{8,}/);
    link.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true }));
    await vi.advanceTimersByTimeAsync(1000);
    expect(batches.flatMap((b) => b.events)).toMatchObject([{ type: 'pageview' }, { type: 'download', name: 'benchmark.pdf' }]);
    await idle();
    expect(batches.flatMap((b) => b.events)).toHaveLength(2);
  });

  it('starts at a submit event that is the first thing to happen, and records that form once', async () => {
    document.addEventListener('submit', (e) => e.preventDefault());
    document.body.innerHTML = '<form id="signup" action="/thanks"><input type="email" name="email" value="ana@fernhill.example"></form>';
    await loadScriptTag({ 'data-site': 'demo' });
    document.getElementById('signup')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await idle();
    expect(batches.flatMap((b) => b.events)).toMatchObject([{ type: 'pageview' }, { type: 'form', name: 'signup' }]);
  });
});

describe('privacy and the tag', () => {
  const stored = () => Object.keys({ ...localStorage }).filter((k) => localStorage.getItem(k));

  it('keeps nothing on the device in consent mode when a form is submitted and the page left before optIn()', async () => {
    const beacon = vi.spyOn(navigator, 'sendBeacon').mockReturnValue(true);
    document.addEventListener('submit', (e) => e.preventDefault());
    document.body.innerHTML = '<form id="signup" action="/thanks"><input type="email" name="email" value="ana@fernhill.example"></form>';
    await loadScriptTag({ 'data-site': 'demo', 'data-consent': 'required' });
    document.getElementById('signup')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    window.dispatchEvent(new Event('pagehide'));
    await idle();
    expect(stored()).toEqual([]);
    expect(beacon).not.toHaveBeenCalled();
    expect(batches).toHaveLength(0);
  });
});

describe("the tag's yes/no attributes", () => {
  const pageviews = () => batches.flatMap((b) => b.events).filter((e) => e.type == 'pageview');

  // Bare, "true" or any other value: on; "false", "0", "no" or "off", in any case: off.
  for (const [value, on] of [['', true], ['true', true], ['false', false], ['FALSE', false], ['0', false], ['no', false], ['off', false]] as const) {
    it(`reads data-respect-dnt="${value}" as ${on ? 'on' : 'off'}`, async () => {
      vi.spyOn(navigator, 'doNotTrack', 'get').mockReturnValue('1');
      await loadScriptTag({ 'data-site': 'demo', 'data-respect-dnt': value });
      await idle();
      expect(pageviews()).toHaveLength(on ? 0 : 1);
    });

    it(`reads data-track-automation="${value}" as ${on ? 'on' : 'off'}`, async () => {
      vi.spyOn(navigator, 'webdriver', 'get').mockReturnValue(true);
      await loadScriptTag({ 'data-site': 'demo', 'data-track-automation': value });
      await idle();
      expect(pageviews()).toHaveLength(on ? 1 : 0);
    });

    it(`reads data-hash="${value}" as ${on ? 'on' : 'off'}`, async () => {
      await loadScriptTag({ 'data-site': 'demo', 'data-hash': value });
      await idle();
      (window as any).happyDOM.setURL('https://www.example.com/blog/post#/settings');
      window.dispatchEvent(new HashChangeEvent('hashchange'));
      // The route settles (300 ms), then its page view waits for the next batch (1 s).
      await vi.advanceTimersByTimeAsync(1400);
      expect(pageviews()).toHaveLength(on ? 2 : 1);
    });
  }

  it('leaves each option off without its attribute', async () => {
    vi.spyOn(navigator, 'doNotTrack', 'get').mockReturnValue('1');
    await loadScriptTag({ 'data-site': 'demo' });
    await idle();
    (window as any).happyDOM.setURL('https://www.example.com/blog/post#/settings');
    window.dispatchEvent(new HashChangeEvent('hashchange'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(pageviews()).toHaveLength(1);
  });
});
