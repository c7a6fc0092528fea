import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TrackedEvent } from '../../shared/src/types.js';
import { openDeviceStore } from './storage.js';
import { MAX_QUEUE, createTransport } from './transport.js';

type Answer = number | 'network-error' | { status: number; retryAfter?: string };
let answers: Answer[];
let requests: Array<{ at: number; ids: string[]; site: string }>;
let beacons: string[][];

const event = (n: number): TrackedEvent => ({ id: `event-${String(n).padStart(4, '0')}`, type: 'track', name: 'n', ts: Date.now(), visitorId: 'visitor-1', sessionId: 'session-1', visit: 1, url: 'https://a.example/' });
const make = (canSend = () => true) => createTransport('https://t.example/v1/collect', 'demo', openDeviceStore(window), canSend, 1000);
const stored = () => JSON.parse(localStorage.getItem('lb_q:demo') || '[]') as TrackedEvent[];

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  localStorage.clear();
  answers = [];
  requests = [];
  beacons = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (_url: string, init: RequestInit) => {
      const body = JSON.parse(String(init.body));
      requests.push({ at: Date.now(), ids: body.events.map((e: TrackedEvent) => e.id), site: body.site });
      const answer = answers.shift() ?? 200;
      if (answer === 'network-error') throw new TypeError('Failed to fetch');
      const { status, retryAfter } = typeof answer === 'number' ? { status: answer, retryAfter: undefined } : answer;
      return new Response('{}', { status, headers: retryAfter ? { 'Retry-After': retryAfter } : {} });
    }),
  );
  vi.spyOn(navigator, 'sendBeacon').mockImplementation((_url, body) => {
    beacons.push(JSON.parse(String(body)).events.map((e: TrackedEvent) => e.id));
    return true;
  });
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('transport', () => {
  it('gathers events for a second, then sends them in one request', async () => {
    const t = make();
    await vi.advanceTimersByTimeAsync(10);
    t.push(event(1));
    await vi.advanceTimersByTimeAsync(500);
    t.push(event(2));
    expect(requests).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(600);
    expect(requests.map((r) => r.ids)).toEqual([['event-0001', 'event-0002']]);
  });

  it('sends at once when a batch of 25 is full, and the rest in the next batch', async () => {
    const t = make();
    for (let i = 1; i <= 30; i++) t.push(event(i));
    await vi.advanceTimersByTimeAsync(1);
    expect(requests[0]!.ids).toHaveLength(25);
    await vi.advanceTimersByTimeAsync(1);
    expect(requests.map((r) => r.ids.length)).toEqual([25, 5]);
    expect(stored()).toEqual([]);
  });

  it('keeps events in localStorage until the ingest acknowledges them, and the next page sends them', async () => {
    answers = ['network-error'];
    make().push(event(1));
    await vi.advanceTimersByTimeAsync(10);
    expect(requests).toHaveLength(1);
    expect(stored().map((e) => e.id)).toEqual(['event-0001']);
    // A reload: a new transport on the same storage sends what the last page could not.
    vi.useRealTimers();
    make();
    await vi.waitFor(() => expect(requests).toHaveLength(2));
    expect(requests[1]!.ids).toEqual(['event-0001']);
    await vi.waitFor(() => expect(stored()).toEqual([]));
  });

  it("sends a site's waiting events under that site only, when two tags share an origin", async () => {
    answers = ['network-error'];
    make().push(event(1));
    await vi.advanceTimersByTimeAsync(10);
    // The next page carries another site's tag (staging beside production): it must not send
    // the first site's events as its own, and they stay for the first site's next page.
    vi.useRealTimers();
    createTransport('https://t.example/v1/collect', 'staging', openDeviceStore(window), () => true, 1000).push(event(2));
    await vi.waitFor(() => expect(requests).toHaveLength(2));
    expect(requests[1]).toMatchObject({ site: 'staging', ids: ['event-0002'] });
    expect(stored().map((e) => e.id)).toEqual(['event-0001']);
    make();
    await vi.waitFor(() => expect(requests).toHaveLength(3));
    expect(requests[2]).toMatchObject({ site: 'demo', ids: ['event-0001'] });
  });

  it('retries network errors, 408, 429 and 5xx with growing, jittered waits', async () => {
    answers = ['network-error', 503, 429, 408, 200];
    const t = make();
    t.push(event(1));
    await vi.advanceTimersByTimeAsync(120_000);
    expect(requests).toHaveLength(5);
    const waits = requests.slice(1).map((r, i) => r.at - requests[i]!.at);
    // 1 s, 2 s, 4 s, 8 s bases, each times a jitter between 0.5 and 1.5.
    waits.forEach((wait, i) => {
      expect(wait).toBeGreaterThanOrEqual(1000 * 2 ** i * 0.5);
      expect(wait).toBeLessThanOrEqual(1000 * 2 ** i * 1.5 + 1);
    });
    expect(stored()).toEqual([]);
  });

  it('honours Retry-After', async () => {
    answers = [{ status: 503, retryAfter: '7' }, 200];
    make().push(event(1));
    await vi.advanceTimersByTimeAsync(10);
    const first = requests[0]!.at;
    await vi.advanceTimersByTimeAsync(6900);
    expect(requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(requests).toHaveLength(2);
    expect(requests[1]!.at - first).toBe(7000);
  });

  it.each([400, 401, 403, 404, 413, 422])('never retries a %i: the events are dropped', async (status) => {
    answers = [status];
    const t = make();
    t.push(event(1));
    t.push(event(2));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(requests).toHaveLength(1);
    expect(stored()).toEqual([]);
  });

  it('sends a batch larger than a keepalive request may be as an ordinary request, so it is not refused for ever', async () => {
    const t = make();
    t.push(event(1));
    await vi.advanceTimersByTimeAsync(1100);
    // 25 events of 3 KB of properties: about 75 KB, over the browser's 64 KB for keepalive.
    for (let i = 2; i <= 26; i++) t.push({ ...event(i), props: { notes: 'x'.repeat(3000) } });
    await vi.advanceTimersByTimeAsync(1100);
    const keepalive = vi.mocked(fetch).mock.calls.map(([, init]) => [String(init!.body).length > 65_536, init!.keepalive]);
    expect(keepalive).toEqual([
      [false, true],
      [true, false],
    ]);
    expect(stored()).toEqual([]);
  });

  it('holds at most 1,000 events, dropping the oldest first', async () => {
    const t = make(() => false);
    for (let i = 1; i <= MAX_QUEUE + 5; i++) t.push(event(i));
    const kept = stored();
    expect(kept).toHaveLength(MAX_QUEUE);
    expect(kept[0]!.id).toBe('event-0006');
  });

  it('hands waiting events to sendBeacon when the page is hidden, keeping them for the next page to confirm', async () => {
    const t = make();
    t.push(event(1));
    t.push(event(2));
    t.flushOnHide();
    expect(beacons).toEqual([['event-0001', 'event-0002']]);
    // This page does not send them again...
    await vi.advanceTimersByTimeAsync(5000);
    expect(requests).toHaveLength(0);
    // ...but they stay persisted: the next page resends them and the ingest drops the copies.
    expect(stored()).toHaveLength(2);
  });

  it('does not beacon while offline or backing off: the events wait for the next page', async () => {
    const online = vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false);
    const t = make();
    t.push(event(1));
    t.flushOnHide();
    expect(beacons).toEqual([]);
    online.mockRestore();
    answers = ['network-error'];
    await vi.advanceTimersByTimeAsync(10);
    expect(requests).toHaveLength(1);
    t.flushOnHide();
    expect(beacons).toEqual([]);
    expect(stored()).toHaveLength(1);
  });

  it('sends nothing while sending is not allowed', async () => {
    const t = make(() => false);
    t.push(event(1));
    t.flushOnHide();
    await vi.advanceTimersByTimeAsync(5000);
    expect(requests).toHaveLength(0);
    expect(beacons).toHaveLength(0);
  });
});
