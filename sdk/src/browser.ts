/**
 * The script-tag entry: `<script defer src="https://INGEST/sdk.js" data-site="KEY"></script>`.
 * Configuration comes from the tag's `data-` attributes; calls made before it loaded (the
 * `leadbeam.q` stub) are replayed in order. Nothing here ever throws into the page.
 */
import { startAutocapture } from './autocapture.js';
import { createTracker } from './tracker.js';

const w = window as any;
const script = document.currentScript as HTMLScriptElement;
const data = script?.dataset || {};

function start() {
  // data-site, data-api, data-consent, data-respect-dnt, data-track-automation
  const tracker: any = createTracker({ ...(data as any), api: data.api || new URL(script.src).origin });
  const queued = w.leadbeam?.q || [];
  const leadbeam = (w.leadbeam = (method: string, ...args: unknown[]) => {
    try {
      return tracker[method](...args);
    } catch {
      tracker.transport.stats.errors++;
    }
  });
  for (const key in tracker) (leadbeam as any)[key] = (...args: unknown[]) => leadbeam(key, ...args);
  startAutocapture(tracker, data.hash);
  tracker.page();
  queued.map((args: unknown[]) => leadbeam(...(args as [string])));
  // Web vitals come in a separate chunk, loaded once the page has settled: the core pays nothing.
  if (data.vitals != 'off') setTimeout(() => import(new URL('sdk/vitals.js', script.src) + ''), 3000);
}

if (data.site && !w.leadbeam?.page) {
  try {
    start();
  } catch {}
}
