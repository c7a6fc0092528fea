import { describe, expect, it } from 'vitest';
import { startDemoSite } from '../../../demo-site/startDemoSite.js';
import { listenUrl } from './listenUrl.js';

describe('the URLs npm start prints', () => {
  it('name the address HOST names, and localhost when the server listens on every interface', () => {
    expect(listenUrl(undefined, 3000)).toBe('http://localhost:3000');
    expect(listenUrl('0.0.0.0', 3000)).toBe('http://localhost:3000');
    expect(listenUrl('::', 3000)).toBe('http://localhost:3000');
    expect(listenUrl('127.0.0.1', 13000)).toBe('http://127.0.0.1:13000');
    expect(listenUrl('::1', 13000)).toBe('http://[::1]:13000');
    expect(listenUrl('ingest.internal', 8787)).toBe('http://ingest.internal:8787');
  });

  it("the demo site's, with HOST=127.0.0.1, is the address it listens on, as the ingest's line is", async () => {
    const demo = await startDemoSite(0, { ingestUrl: 'http://127.0.0.1:8787', siteKey: 'demo' }, '127.0.0.1');
    try {
      expect(demo.url).toBe(`http://127.0.0.1:${demo.port}`);
      expect((await fetch(demo.url)).status).toBe(200);
    } finally {
      await demo.close();
    }
  });

  it("the demo site's, without HOST, stays localhost", async () => {
    const demo = await startDemoSite(0, { ingestUrl: 'http://localhost:8787', siteKey: 'demo' });
    try {
      expect(demo.url).toBe(`http://localhost:${demo.port}`);
    } finally {
      await demo.close();
    }
  });
});
