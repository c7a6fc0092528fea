import type { EventType, PropValue, TrackedEvent } from '../../shared/src/types.js';
import { readCampaign, readPageTags } from './page.js';
import { createStore } from './storage.js';
import { createTransport, type TransportOptions } from './transport.js';
import { makeId, touchVisit, type VisitState } from './visit.js';

export interface TrackerOptions {
  /** The site's public key (`data-site`). */
  site: string;
  /** Base URL of the ingest, e.g. `https://t.example.com` (`data-api`). */
  api: string;
  /** Overrides for batching (tests use a shorter delay). */
  transport?: Partial<Pick<TransportOptions, 'delay' | 'maxBatch' | 'maxQueue'>>;
}

export type Props = Record<string, unknown>;

const STATE_KEY = 'lb';

/** Keeps properties flat and small: the ingest would refuse the whole event otherwise. */
function cleanProps(props?: Props): Record<string, PropValue> | undefined {
  if (!props || typeof props != 'object') return;
  const out: Record<string, PropValue> = {};
  let n = 0;
  for (const k in props) {
    const v = props[k];
    if (v === undefined || n++ >= 50) continue;
    out[k.slice(0, 100)] = v === null || typeof v == 'boolean' || (typeof v == 'number' && isFinite(v)) ? (v as PropValue) : String(v).slice(0, 2000);
  }
  return n ? out : undefined;
}

/**
 * The tracker behind `window.leadbeam` and the npm package: it knows the visitor and the
 * visit, builds events and hands them to the transport.
 *
 * @example
 * const leadbeam = createTracker({ site: 'demo', api: 'https://t.example.com' });
 * leadbeam.page();
 * leadbeam.track('pricing_calculator_used', { seats: 12 });
 */
export function createTracker({ site, api, transport: transportOptions }: TrackerOptions) {
  const store = createStore(window, false);
  const transport = createTransport({ endpoint: api.replace(/\/+$/, '') + '/v1/collect', site, store, ...transportOptions });
  let state: VisitState | undefined;

  /** Reads the shared record each time: another tab may have moved the visit on. */
  function touch(): VisitState {
    let saved: VisitState | undefined;
    try {
      saved = JSON.parse(store.get(STATE_KEY)!) ?? undefined;
    } catch {}
    state = touchVisit(saved || state, Date.now(), makeId);
    const campaign = readCampaign(location.search);
    if (campaign) state.c = campaign;
    try {
      store.set(STATE_KEY, JSON.stringify(state));
    } catch {}
    return state;
  }

  function send(type: EventType, name?: string, props?: Props, extra?: Partial<TrackedEvent>) {
    const s = touch();
    const event: TrackedEvent = {
      id: makeId(),
      type,
      ts: Date.now(),
      visitorId: s.v,
      sessionId: s.s,
      visit: s.n,
      url: location.href.slice(0, 2000),
      path: location.pathname,
      title: document.title.slice(0, 500),
      ...readPageTags(document),
      ...extra,
    };
    if (name) event.name = String(name).slice(0, 200);
    const clean = cleanProps(props);
    if (clean) event.props = clean;
    if (s.c) event.campaign = s.c;
    transport.push(event);
    return event;
  }

  return {
    /** Records a page view of the current page, with its funnel stage and category. */
    page(props?: Props) {
      send('pageview', undefined, props, document.referrer ? { referrer: document.referrer.slice(0, 2000) } : undefined);
    },
    /** Records a custom event, e.g. `track('webinar_signup', { webinar: 'q3-roadmap' })`. */
    track(name: string, props?: Props) {
      send('track', name, props);
    },
    /** This browser's visitor id (made on first use). */
    visitorId(): string {
      return (state || touch()).v;
    },
    /** Sends what is queued now, e.g. before navigating away by script. */
    flush: () => transport.flushOnHide(),
    /** @internal Counters for tests and debugging. */
    stats: transport.stats,
    /** @internal For the browser entry: flush on page hide. */
    transport,
  };
}

export type Tracker = ReturnType<typeof createTracker>;
