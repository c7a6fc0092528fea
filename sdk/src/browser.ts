/**
 * The script-tag entry: `<script defer src="https://INGEST/sdk.js" data-site="KEY"></script>`.
 * Configuration comes from the tag's `data-` attributes; calls made before it started (the
 * `leadbeam.q` stub) are replayed in order. Nothing here ever throws into the page.
 *
 * While the page loads the script only registers itself: it starts when the browser is first
 * idle (within two seconds), or at once if the visitor leaves before that.
 */
import { startAutocapture } from './autocapture.js';
import { createTracker } from './tracker.js';

const w = window as any;

function start(script: HTMLScriptElement) {
  // data-site, data-api, data-consent, data-respect-dnt, data-track-automation, data-hash
  const data = script.dataset;
  const tracker: any = createTracker({ ...(data as any), api: data.api || new URL(script.src).origin });
  const queued = w.leadbeam.q;
  const leadbeam = (w.leadbeam = (method: string, ...args: unknown[]) => {
    try {
      return tracker[method](...args);
    } catch {
      tracker.stats.errors++;
    }
  });
  for (const key in tracker) (leadbeam as any)[key] = (...args: unknown[]) => leadbeam(key, ...args);
  startAutocapture(tracker, data.hash);
  tracker.page();
  queued.map((args: unknown[]) => leadbeam(...(args as [string])));
  // Web vitals come in a separate chunk, loaded once the page has settled: the core pays nothing.
  // A blocked chunk (CSP, offline) or an inline tag without a URL fails quietly, as a rejected
  // import: `.catch(Object)` is the shortest no-op handler.
  setTimeout(() => import(script.src.replace(/[^/]*$/, 'sdk/vitals.js')).catch(Object), 3000);
  return tracker;
}

if (!w.leadbeam?.page) {
  // Until it starts, calls wait in the queue, as calls made before the script loaded do.
  const q: unknown[] = w.leadbeam?.q || [];
  w.leadbeam = Object.assign((...args: unknown[]) => q.push(args), { q });
  let started: any;
  const go = (e?: Event) => {
    try {
      // A page the browser prerenders may never be seen: start when the visitor opens it.
      if ((document as any).prerendering) document.addEventListener('prerenderingchange', () => go());
      else if (!started) {
        // Our own tag by its URL; a page that bundles the script inline has only the one tag.
        const url = Error().stack?.match(/http\S+(?=:\d+:)/)?.[0];
        const script = [...document.scripts].find((s) => s.src == url) || document.querySelector<HTMLScriptElement>('script[data-site]');
        // Leaving before the idle start: record now and hand it straight to sendBeacon.
        if (script?.dataset.site) (started = start(script)), e?.type && started.flush();
      }
    } catch {}
  };
  (w.requestIdleCallback || setTimeout)(go, { timeout: 2000 });
  addEventListener('pagehide', go);
}
