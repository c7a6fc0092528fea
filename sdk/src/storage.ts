/** A tiny string store: localStorage's own two methods, so localStorage is one. */
export interface KeyValueStore {
  getItem(key: string): string | null | undefined;
  setItem(key: string, value: string): void;
}

/**
 * Opens the device store: localStorage when the browser allows it, else memory for this page
 * only. A browser blocks localStorage when the visitor blocks site data, and that blocks
 * cookies too, so a cookie fallback would not keep anything either. A write localStorage
 * refuses (full, or read-only) is kept in memory instead, and never throws. An empty string
 * stands for "removed".
 *
 * @example
 * const store = openDeviceStore(window);
 */
export function openDeviceStore(win: Window): KeyValueStore {
  const kept: Record<string, string> = {};
  let ls: Storage | undefined;
  try {
    // Reading is enough to find out: a blocked localStorage throws on access. Nothing is written.
    (ls = win.localStorage).getItem('lb');
  } catch {
    ls = undefined;
  }
  return {
    getItem: (k) => kept[k] ?? ls?.getItem(k),
    setItem(k, v) {
      try {
        ls!.setItem(k, v);
        delete kept[k];
      } catch {
        kept[k] = v;
      }
    },
  };
}
