import { now, yes } from './dom.js';
import type { EventType, LeadTraits, TrackedEvent } from '../../shared/src/types.js';
import { readPageTags } from './page.js';
import { openDeviceStore } from './storage.js';
import { createTransport } from './transport.js';
import { makeId, touchVisit, type VisitState } from './visit.js';

export interface TrackerOptions {
  /** The site's public key (`data-site`). */
  site: string;
  /** Base URL of the ingest, e.g. `https://t.example.com` (`data-api`). */
  api: string;
  /** `'required'`: record, keep and send nothing until `optIn()` (`data-consent="required"`). */
  consent?: string;
  /** Honour the browser's Do Not Track setting (`data-respect-dnt`; a yes/no option, see `yes`). Global Privacy Control is always honoured. */
  respectDnt?: unknown;
  /** Also track browsers driven by automation, i.e. `navigator.webdriver` (`data-track-automation`; a yes/no option, see `yes`). */
  trackAutomation?: unknown;
  /** How long to gather events into one request, in ms (default 1000). */
  delay?: number;
}

/** Event properties: flat values; the ingest keeps anything else as its JSON text. */
export type Props = Record<string, unknown>;

// localStorage keys, written out where used (repeated literals gzip smaller than a constant):
// 'lb' the visit record, 'lb_c' the visitor's own choice ('1' opted in, '0' opted out).

/**
 * The tracker behind `window.leadbeam` and the npm package: it knows the visitor, the visit
 * and the visitor's privacy choices, builds events and hands them to the transport.
 *
 * @example
 * const leadbeam = createTracker({ site: 'demo', api: 'https://t.example.com' });
 * leadbeam.page();
 * leadbeam.track('pricing_calculator_used', { seats: 12 });
 */
export function createTracker({ site, api, consent, respectDnt, trackAutomation, delay }: TrackerOptions) {
  const nav = navigator as any;
  const store = openDeviceStore(window);
  // The visitor's own choice outweighs browser-wide signals; a site that requires consent
  // records nothing at all (not even in memory) until the visitor opts in.
  const blocked = (choice = store.getItem('lb_c')) =>
    choice == '0' ||
    (choice != '1' && (consent == 'required' || nav.globalPrivacyControl || (yes(respectDnt) && nav.doNotTrack == '1'))) ||
    (nav.webdriver && !yes(trackAutomation));
  const transport = createTransport(api.replace(/\/+$/, '') + '/v1/collect', site, store, () => !blocked(), delay);
  let state: VisitState | undefined;

  /** Moves the visit on; reads the stored record each time, as another tab may have moved it. */
  const touch = (): VisitState => {
    try {
      state = JSON.parse(store.getItem('lb')!) || state;
    } catch {}
    store.setItem('lb', JSON.stringify((state = touchVisit(state, now(), makeId))));
    return state;
  };

  const forget = () => {
    state = undefined;
    store.setItem('lb', '');
  };

  /** Records one event: it waits in the queue for the next batch, or for the page to be hidden. */
  const capture = (type: EventType, name?: unknown, props?: unknown, extra?: Partial<TrackedEvent> | 0 | '') => {
    if (blocked()) return;
    const { v, s, n } = touch();
    transport.push({
        id: makeId(),
        type,
        name: (name || undefined) as string,
        ts: now(),
        visitorId: v,
        sessionId: s,
        visit: n,
        url: location.href,
        referrer: document.referrer,
        title: document.title,
        ...readPageTags(document),
        props: (props || undefined) as TrackedEvent['props'],
        ...extra,
      });
  };

  return {
    /** Records a page view of the current page (done for you on load and on SPA navigation). */
    page(props?: Props, referrer?: string) {
      capture('pageview', 0, props, referrer && { referrer });
    },
    /** Records a custom event, e.g. `track('webinar_signup', { webinar: 'q4-close' })`. */
    track(name: string, props?: Props) {
      capture('track', name, props);
    },
    /** Says who this visitor is: the ingest links the visitor to the lead with this email. */
    identify(email: string, traits?: LeadTraits) {
      capture('identify', 0, 0, { traits: { ...traits, email } });
    },
    /** This browser's visitor id (made on first use); empty while tracking is off. */
    visitorId(): string {
      return blocked() ? '' : (state || touch()).v;
    },
    /** Stops tracking in this browser for good; forgets the visitor and what was queued. */
    optOut() {
      // The queue goes first: on a full localStorage it is what leaves room for the choice.
      forget();
      transport.forgetQueue();
      store.setItem('lb_c', '0');
    },
    /** The visitor agrees: from now on visits are recorded, starting with this page. */
    optIn() {
      const wasBlocked = blocked();
      store.setItem('lb_c', '1');
      if (wasBlocked) capture('pageview');
    },
    /** Forgets this visitor (a shared computer): the next event starts a new visitor. */
    reset: forget,
    /** Sends what is queued now, by beacon: before navigating away by script, say. */
    flush: transport.flushOnHide,
    /** @internal Used by the autocapture and the web-vitals chunk. */
    capture,
  };
}

export type Tracker = ReturnType<typeof createTracker>;
