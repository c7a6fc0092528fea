import { describe, expect, it } from 'vitest';
import { createDemoSite, listDemoPages } from './createDemoSite.js';

const site = createDemoSite({ ingestUrl: 'http://localhost:8787', siteKey: 'demo' });

describe('demo site', () => {
  it('has the pages the product demo walks through', async () => {
    const pages = await listDemoPages();
    for (const path of ['/', '/blog/', '/guides/', '/pricing', '/resources/', '/demo', '/newsletter', '/thanks']) expect(pages).toContain(path);
    expect(pages.filter((p) => p.startsWith('/blog/') && p !== '/blog/').length).toBeGreaterThanOrEqual(2);
    expect(pages.filter((p) => p.startsWith('/guides/') && p !== '/guides/').length).toBeGreaterThanOrEqual(1);
  });

  it('puts the script tag, pointing at the running ingest, on every page', async () => {
    for (const path of await listDemoPages()) {
      const res = await site.request(path);
      expect(res.status, path).toBe(200);
      expect(await res.text(), path).toContain('<script defer src="http://localhost:8787/sdk.js" data-site="demo"></script>');
    }
  });

  it('serves the whitepaper PDF and takes form posts to a thank-you page', async () => {
    const resources = await (await site.request('/resources/')).text();
    const pdfHref = /href="([^"]+\.pdf)"/.exec(resources)![1]!;
    const pdf = await site.request(pdfHref);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect((await pdf.text()).startsWith('%PDF-')).toBe(true);

    const demo = await (await site.request('/demo')).text();
    for (const field of ['email', 'name', 'company', 'job_title', 'company_size']) expect(demo).toContain(`name="${field}"`);
    const posted = await site.request('/thanks?form=demo', { method: 'POST', body: new URLSearchParams({ email: 'a@b.example' }) });
    expect(posted.status).toBe(303);
    expect(posted.headers.get('location')).toBe('/thanks?form=demo');
  });

  it('answers 404 with a page for unknown paths and refuses path traversal', async () => {
    expect((await site.request('/no-such-page')).status).toBe(404);
    expect((await site.request('/../package.json')).status).toBe(404);
    expect((await site.request('/files/../../renderPage.ts')).status).toBe(404);
  });
});
