import { createEngagement } from './engagement.js';
import { readForm } from './forms.js';
import { now, on, yes } from './dom.js';
import type { Tracker } from './tracker.js';

/**
 * A link to a file: its path ends in an extension that is not a web page's. Which file types
 * count as downloads is the site's config (`downloads`), applied by the ingest, so marketers
 * change the list without touching the script; links marked in markup always count.
 */
const FILE_PATH = /\.(?!html?$|php$|aspx?$)\w{2,5}$/i;

/**
 * What the script captures with no code from the site owner: downloads, marked clicks, form
 * submissions, single-page-app navigation, engaged time and scroll depth.
 *
 * @param hashRouting count hash changes as page views (`data-hash`; a yes/no option, see `yes`)
 * @example
 * startAutocapture(createTracker({ site: 'demo', api }), true);
 */
export function startAutocapture({ capture, page, flush }: Tracker, hashRouting?: unknown) {
  const engagement = createEngagement();
  hashRouting = yes(hashRouting);
  const pageKey = () => location.pathname + (hashRouting ? location.hash : '');
  let key = pageKey();
  let url = location.href;

  const reportEngagement = () => {
    const measured = engagement();
    if (measured.engagedMs > 499) capture('engagement', 0, measured, { url });
  };

  // Downloads and marked clicks: one listener for the whole document, middle clicks too.
  const clicked = (e: MouseEvent) => {
    if (e.button > 1) return;
    const target = e.target as Element;
    const marked = target.closest?.('[data-leadbeam-event]');
    const link = target.closest?.('a[href],[data-leadbeam-download]');
    if (marked) {
      const props: Record<string, string> = {};
      for (const { name, value } of marked.attributes) if (name.startsWith('data-leadbeam-prop-')) props[name.slice(19)] = value;
      capture('click', marked.getAttribute('data-leadbeam-event'), props);
    }
    if (link) {
      const named = link.getAttribute('data-leadbeam-download');
      const href = new URL(link.getAttribute('href') || '', location.href);
      const marked = named != null || link.hasAttribute('download');
      // The query string is left out: download links often carry access tokens.
      if (marked || FILE_PATH.test(href.pathname)) capture('download', named || href.pathname.split('/').pop(), { url: href.origin + href.pathname, marked });
    }
  };
  on('click', clicked);
  on('auxclick', clicked);

  // Forms: on submit, before the browser leaves for the form's action page, and forms that
  // scripts submit with form.submit(), which fires no submit event.
  // A submit handler that calls form.submit() itself would report twice: once is enough.
  const submitted = (form: HTMLFormElement & { lbAt?: number }) => {
    if (now() - form.lbAt! < 999) return;
    form.lbAt = now();
    // readForm gives { name, traits }: the event takes both as they are.
    capture('form', 0, 0, readForm(form));
  };
  on('submit', (e) => submitted(e.target));
  const submit = HTMLFormElement.prototype.submit;
  HTMLFormElement.prototype.submit = function () {
    try {
      submitted(this);
    } catch {}
    submit.call(this);
  };

  // Single-page apps: a new path (or hash, when enabled) is a new page view. Read once the
  // route has settled: routers set the new page's title and meta tags after changing the URL
  // (a frame or a fetch later), and a route left at once (a redirect) is no page view.
  const routed = () => {
    if (pageKey() != key) {
      reportEngagement();
      key = pageKey();
      page(0 as never, url); // 0: no props, as capture takes them
      url = location.href;
    }
  };
  const navigated = () => {
    // The page left is reported now, while its title and tags are still its own.
    if (pageKey() != key) reportEngagement();
    setTimeout(routed, 300);
  };
  for (const method of ['pushState', 'replaceState'] as const) {
    const original = history[method];
    history[method] = function (...args: [any, string]) {
      original.apply(this, args);
      navigated();
    };
  }
  on('popstate', navigated);
  if (hashRouting) on('hashchange', navigated);
  // Back or Forward to a page kept in the back/forward cache runs no script again: count it.
  on('pageshow', (e: PageTransitionEvent) => e.persisted && page());

  // The page is hidden or left: report engagement, then hand the queue to sendBeacon. A form
  // posting to another page, or a link to a file, leaves through here too.
  const hidden = () => {
    // A route still settling is counted before the page goes (or is put in the back/forward cache).
    routed();
    reportEngagement();
    flush();
  };
  on('pagehide', hidden);
  on('visibilitychange', () => document.hidden && hidden());
}
