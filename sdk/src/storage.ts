/** A tiny string store: localStorage's own two methods, so localStorage is one. */
export interface KeyValueStore {
  getItem(key: string): string | null | undefined;
  setItem(key: string, value: string): void;
}

/**
 * Opens the device store: localStorage when the browser allows it, else memory for this page
 * only. A browser blocks localStorage when the visitor blocks site data, and that blocks
 * cookies too, so a cookie fallback would not keep anything either. An empty string stands
 * for "removed".
 *
 * @example
 * const store = openDeviceStore(window);
 */
export function openDeviceStore(win: Window): KeyValueStore {
  try {
    // Reading is enough to find out: a blocked localStorage throws on access. Nothing is written.
    const ls = win.localStorage;
    ls.getItem('lb');
    return ls;
  } catch {
    const kept: Record<string, string> = {};
    return { getItem: (k) => kept[k], setItem: (k, v) => (kept[k] = v) };
  }
}
