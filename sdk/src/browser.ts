/**
 * The script-tag entry: `<script defer src="https://INGEST/sdk.js" data-site="KEY"></script>`.
 * Configuration comes from the tag's `data-` attributes. Nothing here ever throws into the page.
 *
 * While the page loads the script only registers itself: it starts when the browser is first
 * idle (within two seconds), at the visitor's first interaction, or when the visitor leaves.
 * Its API is there at once: until the start, calls wait in the queue (with calls made before
 * the script loaded, the `leadbeam.q` stub) and are replayed in order.
 */
import { startAutocapture } from './autocapture.js';
import { on, trigger } from './dom.js';
import { createTracker } from './tracker.js';

const w = window as any;

if (!w.leadbeam?.page) {
  const q: unknown[][] = w.leadbeam?.q || [];
  let tracker: any;
  // Before the start a call is queued and returns undefined; `ready` is how to wait for it.
  const leadbeam = (w.leadbeam = (method: string, ...args: unknown[]) => {
    try {
      return tracker ? tracker[method](...args) : void q.push([method, ...args]);
    } catch {}
  });
  'page track identify visitorId optOut optIn reset flush ready'.split(' ').map((key) => ((leadbeam as any)[key] = (...args: unknown[]) => leadbeam(key, ...args)));

  const go = (e?: Event) => {
    try {
      // A page the browser prerenders may never be seen: start when the visitor opens it.
      if ((document as any).prerendering) on('prerenderingchange', go);
      else if (!tracker) {
        // Our own tag by its URL; a page that bundles the script inline has only the one tag.
        const url = Error().stack!.match(/http\S+(?=:\d+:)/)?.[0];
        const script = [...document.scripts].find((s) => s.src == url) || document.querySelector<HTMLScriptElement>('script[data-site]');
        // data-site, data-api, data-consent, data-respect-dnt, data-track-automation, data-hash
        const data = script?.dataset;
        if (data?.site) {
          tracker = createTracker({ ...(data as any), api: data.api || new URL(script!.src).origin });
          // A throwing callback is caught like any bad call.
          tracker.ready = (fn: Function) => fn(leadbeam);
          tracker.page();
          q.map((args) => leadbeam(...(args as [string])));
          // The autocapture sees the interaction that started the script, and a visitor leaving
          // before the idle start has it all handed to sendBeacon.
          trigger.e = e;
          startAutocapture(tracker, data.hash);
          // Web vitals come in a separate chunk, loaded once the page has settled: the core pays
          // nothing. A blocked chunk (CSP, offline) or an inline tag without a URL fails quietly,
          // as a rejected import: `.catch(Object)` is the shortest no-op handler.
          setTimeout(() => import(script!.src.replace(/[^/]*$/, 'sdk/vitals.js')).catch(Object), 3000);
        }
      }
    } catch {}
  };
  (w.requestIdleCallback || setTimeout)(go, { timeout: 2000 });
  // Nothing is lost in the first seconds: the first interaction, or leaving, starts it at once.
  'pointerdown keydown click submit pagehide'.split(' ').map((type) => on(type, go));
}
