import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventBatch } from '../../shared/src/types.js';

let batches: EventBatch[];

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
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
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
    expect((window as any).leadbeam.visitorId).toBeUndefined();
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
