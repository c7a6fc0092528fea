/** A tiny string store: localStorage when the browser allows it, else a first-party cookie. */
export interface KeyValueStore {
  get(key: string): string | null;
  set(key: string, value: string): void;
  remove(key: string): void;
}

const TWO_YEARS_S = 63072000;

/**
 * Picks where the script keeps its state. `memory` keeps nothing on the device (consent not
 * given yet); otherwise localStorage, falling back to a cookie when storage is blocked.
 *
 * @example
 * const store = createStore(window, false);
 */
export function createStore(win: Window, memoryOnly: boolean): KeyValueStore {
  const mem: Record<string, string> = {};
  if (memoryOnly) {
    return { get: (k) => mem[k] ?? null, set: (k, v) => void (mem[k] = v), remove: (k) => void delete mem[k] };
  }
  try {
    const ls = win.localStorage;
    ls.setItem('lb_t', '1');
    ls.removeItem('lb_t');
    return { get: (k) => ls.getItem(k), set: (k, v) => ls.setItem(k, v), remove: (k) => ls.removeItem(k) };
  } catch {
    const doc = win.document;
    const write = (k: string, v: string, age: number) =>
      (doc.cookie = `${k}=${encodeURIComponent(v)};path=/;max-age=${age};SameSite=Lax${win.location.protocol == 'https:' ? ';Secure' : ''}`);
    return {
      get: (k) => {
        const m = doc.cookie.match(new RegExp(`(?:^|; )${k}=([^;]*)`));
        return m ? decodeURIComponent(m[1]!) : null;
      },
      set: (k, v) => write(k, v, TWO_YEARS_S),
      remove: (k) => write(k, '', 0),
    };
  }
}
