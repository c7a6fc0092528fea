/** Listens in the capture phase, so a page's own handlers cannot hide an event from us. */
export const on = (type: string, listener: (e: any) => unknown) => addEventListener(type, listener, true);

/** True while the page is not visible (another tab, minimised, being left). */
export const isHidden = () => document.hidden;
