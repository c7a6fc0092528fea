/** A tiny string store. */
export interface KeyValueStore {
  get(key: string): string | null | undefined;
  set(key: string, value: string): void;
}

/**
 * Opens the device store: localStorage when the browser allows it, else a first-party
 * cookie (storage blocked, some private modes). An empty string stands for "removed".
 *
 * @example
 * const store = openDeviceStore(window);
 */
export function openDeviceStore(win: Window): KeyValueStore {
  try {
    // Reading is enough to find out: a blocked localStorage throws on access. Nothing is written.
    const ls = win.localStorage;
    ls.getItem('lb');
    return { get: (k) => ls.getItem(k), set: (k, v) => ls.setItem(k, v) };
  } catch {
    const doc = win.document;
    return {
      get: (k) => decodeURIComponent(doc.cookie.match(`(?:^|; )${k}=([^;]*)`)?.[1] || ''),
      // Browsers treat a cookie without SameSite as Lax, which is what a first-party id wants.
      set: (k, v) => (doc.cookie = `${k}=${encodeURIComponent(v)};path=/;max-age=${v ? 63072000 : 0}`),
    };
  }
}
