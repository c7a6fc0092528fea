// happy-dom reports itself as automation (navigator.webdriver), which the script skips; the
// unit tests stand for a person's browser unless a test says otherwise.
Object.defineProperty(navigator, 'webdriver', { value: false, configurable: true });

// happy-dom leaves a data- attribute with an empty value (`<script data-hash>`) out of
// `{ ...el.dataset }`, which browsers include with the value ''; the script reads its tag so.
const dataset = Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'dataset')!.get!;
Object.defineProperty(HTMLElement.prototype, 'dataset', {
  configurable: true,
  get(this: HTMLElement) {
    const map = dataset.call(this);
    return new Proxy(map, {
      getOwnPropertyDescriptor: (_, key) => (typeof key == 'string' && key in map ? { value: map[key], writable: true, enumerable: true, configurable: true } : undefined),
    });
  },
});
