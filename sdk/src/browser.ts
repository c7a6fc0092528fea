/**
 * The script-tag entry: `<script defer src="https://INGEST/sdk.js" data-site="KEY"></script>`.
 * Configuration comes from the tag's `data-` attributes; calls made before it loaded (the
 * `leadbeam.q` stub) are replayed in order.
 */
import { createTracker, type Tracker } from './tracker.js';

type Queued = { q?: IArguments[] | unknown[][] };
type Leadbeam = ((method: string, ...args: unknown[]) => unknown) & Partial<Tracker>;

const w = window as unknown as { leadbeam?: Leadbeam & Queued };
const script = document.currentScript as HTMLScriptElement | null;
const data = script?.dataset ?? {};

if (data.site && !(w.leadbeam && w.leadbeam.page)) {
  try {
    const tracker = createTracker({ site: data.site, api: data.api || new URL(script!.src).origin });
    const queued = (w.leadbeam && w.leadbeam.q) || [];
    const leadbeam = ((method: string, ...args: unknown[]) => {
      try {
        return (tracker as any)[method](...args);
      } catch {}
    }) as Leadbeam;
    for (const key in tracker) {
      const value = (tracker as any)[key];
      (leadbeam as any)[key] =
        typeof value == 'function'
          ? (...args: unknown[]) => {
              // The script never throws into the page.
              try {
                return value(...args);
              } catch {}
            }
          : value;
    }
    w.leadbeam = leadbeam;
    const hide = () => tracker.transport.flushOnHide();
    addEventListener('pagehide', hide);
    addEventListener('visibilitychange', () => document.visibilityState == 'hidden' && hide());
    tracker.page();
    for (const args of queued) leadbeam(...(Array.from(args) as [string, ...unknown[]]));
  } catch {}
}
