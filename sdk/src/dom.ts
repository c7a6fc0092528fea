/** The event that started the script, if one did (see `on`). */
export const trigger: { e?: Event } = {};

/**
 * Listens in the capture phase, so a page's own handlers cannot hide an event from us. A
 * listener added while the event that started the script is dispatched would miss it (the
 * browser calls only those already there), so it gets that event at once. Whatever a listener
 * throws stays here: it never reaches the page's error handlers.
 */
export const on = (type: string, listener: (e: any) => unknown) => {
  const safe = (e?: any) => {
    try {
      listener(e);
    } catch {}
  };
  addEventListener(type, safe, true);
  trigger.e?.type == type && safe(trigger.e);
};

/** Date.now(), which the script reads in many places: shorter, once gzipped. */
export const now = () => Date.now();

/**
 * A yes/no option: on when present (`data-hash`, `data-hash="true"`), off when absent or
 * "false", "0", "no" or "off" in any case, so templates that print a boolean work either way.
 */
export const yes = (value: unknown) => !/^(false|0|no|off)$/i.test((value ?? 0) as string);
