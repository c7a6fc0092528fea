import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventBatch } from '../../shared/src/types.js';
import { createTracker } from './tracker.js';
import { SESSION_TIMEOUT_MS } from './visit.js';

let sent: Array<{ url: string; init: RequestInit; batch: EventBatch; at: number }>;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  vi.setSystemTime(new Date('2026-11-28T10:00:00Z'));
  localStorage.clear();
  document.cookie.split(';').forEach((c) => (document.cookie = `${c.split('=')[0]!.trim()}=;max-age=0;path=/`));
  document.head.innerHTML = '<title>Pricing</title><meta name="leadbeam:stage" content="bottom"><meta name="leadbeam:category" content="pricing">';
  (window as any).happyDOM.setURL('https://www.example.com/pricing?utm_source=newsletter&utm_campaign=nov');
  sent = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit) => {
      sent.push({ url, init, batch: JSON.parse(String(init.body)), at: Date.now() });
      return new Response('{}', { status: 200 });
    }),
  );
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

const tracker = () => createTracker({ site: 'demo', api: 'https://t.example.com/' });
// Unique by id: a resend after a reload is expected (the ingest deduplicates).
const events = () => [...new Map(sent.flatMap((s) => s.batch.events).map((e) => [e.id, e])).values()];

describe('tracker', () => {
  it('keeps tracking, in memory, when the site has filled localStorage, and never throws', async () => {
    const setItem = vi.spyOn(Storage.prototype, 'setItem').mockImplementation(() => {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    });
    try {
      const t = tracker();
      expect(() => t.page()).not.toThrow();
      expect(() => t.track('pricing_calculator_used')).not.toThrow();
      await vi.advanceTimersByTimeAsync(1000);
      expect(events().map((e) => e.type)).toEqual(['pageview', 'track']);
      // One visitor and one visit: the visit record was kept in memory.
      expect(new Set(events().map((e) => `${e.visitorId} ${e.visit}`)).size).toBe(1);
      expect(setItem).toHaveBeenCalled();
    } finally {
      setItem.mockRestore();
    }
  });

  it('sends a page view with URL, title, referrer, stage and category as a string body (text/plain)', async () => {
    tracker().page();
    await vi.advanceTimersByTimeAsync(1000);
    expect(sent).toHaveLength(1);
    const [{ url, init, batch, at }] = sent as [(typeof sent)[0]];
    expect(url).toBe('https://t.example.com/v1/collect');
    // A string body is sent as text/plain;charset=UTF-8: no CORS preflight.
    expect(typeof init.body).toBe('string');
    expect(init.headers).toBeUndefined();
    expect(init.keepalive).toBe(true);
    expect(batch.site).toBe('demo');
    expect(batch.sentAt).toBe(at);
    expect(batch.events[0]).toMatchObject({
      type: 'pageview',
      url: 'https://www.example.com/pricing?utm_source=newsletter&utm_campaign=nov',
      title: 'Pricing',
      stage: 'bottom',
      category: 'pricing',
      visit: 1,
    });
  });

  it('gives every event a unique id and a client timestamp', async () => {
    const t = tracker();
    for (let i = 0; i < 30; i++) t.track('click', { i });
    await vi.advanceTimersByTimeAsync(5000);
    const all = events();
    expect(all).toHaveLength(30);
    expect(new Set(all.map((e) => e.id)).size).toBe(30);
    for (const e of all) expect(e.ts).toBe(Date.now() - 5000);
  });

  it('keeps the visitor id across page loads in localStorage', () => {
    const id = tracker().visitorId();
    expect(id).toMatch(/^[0-9a-z]{16,28}$/);
    expect(tracker().visitorId()).toBe(id);
    expect(localStorage.getItem('lb')).toContain(id);
  });

  it('still works for the page, keeping nothing, when the browser blocks site data', async () => {
    const blocked = vi.spyOn(window, 'localStorage', 'get').mockImplementation(() => {
      throw new DOMException('blocked', 'SecurityError');
    });
    const t = tracker();
    const id = t.visitorId();
    t.page();
    t.track('pricing_calculator_used');
    await vi.advanceTimersByTimeAsync(2000);
    expect(events().map((e) => e.visitorId)).toEqual([id, id]);
    expect(tracker().visitorId()).not.toBe(id); // the next page is a new visitor: nothing was kept
    expect(document.cookie).toBe('');
    blocked.mockRestore();
    expect(localStorage.getItem('lb')).toBeNull();
  });

  it('marks the first visit, then a returning visit after 30 minutes idle', async () => {
    const t = tracker();
    t.page();
    await vi.advanceTimersByTimeAsync(SESSION_TIMEOUT_MS - 1000);
    t.page(); // still the first visit
    await vi.advanceTimersByTimeAsync(SESSION_TIMEOUT_MS + 1000);
    tracker().page(); // a new page load after the gap: visit 2
    await vi.advanceTimersByTimeAsync(2000);
    const [a, b, c] = events();
    expect(a!.visit).toBe(1);
    expect(b!.visit).toBe(1);
    expect(b!.sessionId).toBe(a!.sessionId);
    expect(c!.visit).toBe(2);
    expect(c!.sessionId).not.toBe(a!.sessionId);
    expect(c!.visitorId).toBe(a!.visitorId);
  });

  it('sends track properties as given (the ingest flattens them)', async () => {
    tracker().track('calculator', { seats: 12, plan: 'growth', annual: true, none: null });
    await vi.advanceTimersByTimeAsync(1000);
    expect(events()[0]).toMatchObject({ type: 'track', name: 'calculator', props: { seats: 12, plan: 'growth', annual: true, none: null } });
  });
});
