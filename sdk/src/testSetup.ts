// happy-dom reports itself as automation (navigator.webdriver), which the script skips; the
// unit tests stand for a person's browser unless a test says otherwise.
Object.defineProperty(navigator, 'webdriver', { value: false, configurable: true });
