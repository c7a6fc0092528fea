import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TrackedEvent } from '../../shared/src/types.js';
import { createTracker, type TrackerOptions } from './tracker.js';

let sent: TrackedEvent[];

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  localStorage.clear();
  sent = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (_u: string, init: RequestInit) => (sent.push(...JSON.parse(String(init.body)).events), new Response('{}'))),
  );
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const tracker = (options: Partial<TrackerOptions> = {}) => createTracker({ site: 'demo', api: 'https://t.example', ...options });
const storedKeys = () => Object.keys({ ...localStorage }).filter((k) => localStorage.getItem(k));

describe('consent mode (data-consent="required")', () => {
  it('keeps nothing on the device and sends nothing until optIn()', async () => {
    const t = tracker({ consent: 'required' });
    t.page();
    t.track('x');
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent).toEqual([]);
    expect(storedKeys()).toEqual([]);
    expect(t.visitorId()).toBe('');
    expect(document.cookie).toBe('');
  });

  it('keeps nothing on the device when the page is hidden or left before optIn()', async () => {
    const t = tracker({ consent: 'required' });
    t.page();
    t.flush(); // what the page hiding or leaving (a form posting to another page) calls
    await vi.advanceTimersByTimeAsync(5000);
    expect(storedKeys()).toEqual([]);
    expect(sent).toEqual([]);
  });

  it('starts recording at optIn(), with this page, and remembers the choice on the next page', async () => {
    const t = tracker({ consent: 'required' });
    t.page();
    t.optIn();
    await vi.advanceTimersByTimeAsync(1000);
    expect(sent.map((e) => e.type)).toEqual(['pageview']);
    const next = tracker({ consent: 'required' });
    next.page();
    await vi.advanceTimersByTimeAsync(1000);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.visitorId).toBe(sent[0]!.visitorId);
  });
});

describe('optOut()', () => {
  it('stops tracking for good, forgets the visitor and drops what was queued', async () => {
    const t = tracker();
    t.track('queued');
    t.optOut();
    t.track('after');
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent).toEqual([]);
    expect(localStorage.getItem('lb')).toBeFalsy();
    t.flush();
    // What was queued is gone from the device too (an empty queue may stay: nothing in it).
    expect(JSON.parse(localStorage.getItem('lb_q:demo') || '[]')).toEqual([]);
    const later = tracker();
    later.page();
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent).toEqual([]);
    later.optIn();
    await vi.advanceTimersByTimeAsync(1000);
    expect(sent.map((e) => e.type)).toEqual(['pageview']);
  });
});

describe('browser signals', () => {
  it('honours Global Privacy Control unless the visitor opts in', async () => {
    Object.defineProperty(navigator, 'globalPrivacyControl', { value: true, configurable: true });
    const t = tracker();
    t.page();
    await vi.advanceTimersByTimeAsync(2000);
    expect(sent).toEqual([]);
    t.optIn();
    await vi.advanceTimersByTimeAsync(2000);
    expect(sent).toHaveLength(1);
    delete (navigator as any).globalPrivacyControl;
  });

  it('keeps nothing on the device under Do Not Track or Global Privacy Control, even when the page is hidden', async () => {
    vi.spyOn(navigator, 'doNotTrack', 'get').mockReturnValue('1');
    const t = tracker({ respectDnt: 'true' });
    t.page();
    t.flush();
    Object.defineProperty(navigator, 'globalPrivacyControl', { value: true, configurable: true });
    tracker().flush();
    delete (navigator as any).globalPrivacyControl;
    await vi.advanceTimersByTimeAsync(5000);
    expect(storedKeys()).toEqual([]);
    expect(sent).toEqual([]);
  });

  it('honours Do Not Track only when the site enables it', async () => {
    vi.spyOn(navigator, 'doNotTrack', 'get').mockReturnValue('1');
    tracker({ respectDnt: 'true' }).page();
    await vi.advanceTimersByTimeAsync(2000);
    expect(sent).toEqual([]);
    tracker().page();
    await vi.advanceTimersByTimeAsync(2000);
    expect(sent).toHaveLength(1);
  });

  it('reads respectDnt and trackAutomation as yes/no options: true or any value but false, 0, no or off', async () => {
    // Page views sent, each once (trackers on one page share the stored queue and resend it).
    const pageviews = () => new Set(sent.map((e) => e.id)).size;
    vi.spyOn(navigator, 'doNotTrack', 'get').mockReturnValue('1');
    for (const respectDnt of [true, '', 'yes', 'true']) tracker({ respectDnt }).page();
    await vi.advanceTimersByTimeAsync(2000);
    expect(pageviews()).toBe(0);
    for (const respectDnt of [false, 'false', 'Off', 'NO', '0', 0, undefined]) tracker({ respectDnt }).page();
    await vi.advanceTimersByTimeAsync(2000);
    expect(pageviews()).toBe(7);
    vi.spyOn(navigator, 'webdriver', 'get').mockReturnValue(true);
    for (const trackAutomation of [false, 'false', 'no', undefined]) tracker({ trackAutomation }).page();
    await vi.advanceTimersByTimeAsync(2000);
    expect(pageviews()).toBe(7);
    for (const trackAutomation of [true, '']) tracker({ trackAutomation }).page();
    await vi.advanceTimersByTimeAsync(2000);
    expect(pageviews()).toBe(9);
  });

  it('skips browsers under automation unless the site turns that off', async () => {
    vi.spyOn(navigator, 'webdriver', 'get').mockReturnValue(true);
    tracker().page();
    await vi.advanceTimersByTimeAsync(2000);
    expect(sent).toEqual([]);
    tracker({ trackAutomation: 'true' }).page();
    await vi.advanceTimersByTimeAsync(2000);
    expect(sent).toHaveLength(1);
  });
});

describe('identify() and reset()', () => {
  it('sends who the visitor is', async () => {
    tracker().identify('ana@example.com', { company: 'Fernhill', jobTitle: 'CFO' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(sent[0]).toMatchObject({ type: 'identify', traits: { email: 'ana@example.com', company: 'Fernhill', jobTitle: 'CFO' } });
  });

  it('reset() starts a new visitor on a shared computer', () => {
    const t = tracker();
    const before = t.visitorId();
    t.reset();
    const after = t.visitorId();
    expect(after).not.toBe(before);
    expect(tracker().visitorId()).toBe(after);
  });
});
