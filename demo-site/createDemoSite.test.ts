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
    const body = await pdf.text();
    expect(body.startsWith('%PDF-')).toBe(true);
    // The page count the resources page promises is the PDF's own.
    const promised = Number(/PDF, (\d+) pages/.exec(resources)![1]);
    expect(Number(/\/Type \/Pages \/Kids \[[^\]]*\] \/Count (\d+)/.exec(body)![1])).toBe(promised);
    expect(body.match(/\/Type \/Page\b(?!s)/g)).toHaveLength(promised);

    const demo = await (await site.request('/demo')).text();
    for (const field of ['email', 'name', 'company', 'job_title', 'company_size']) expect(demo).toContain(`name="${field}"`);
    const posted = await site.request('/thanks?form=demo', { method: 'POST', body: new URLSearchParams({ email: 'a@b.example' }) });
    expect(posted.status).toBe(303);
    expect(posted.headers.get('location')).toBe('/thanks?form=demo');
  });

  it('thanks each form in its own words, and anything else in general ones', async () => {
    const thanks = async (form: string) => (await (await site.request(`/thanks?form=${form}`)).text()).match(/<h1>([^<]*)<\/h1>/)![1];
    expect(await thanks('newsletter')).toMatch(/subscribed/i);
    expect(await thanks('demo')).toMatch(/demo/i);
    expect(await thanks('other')).toBe('Thank you!');
    expect(await thanks('..%2Fdemo')).toBe('Thank you!');
  });

  it('links a favicon that it serves', async () => {
    expect(await (await site.request('/')).text()).toContain('<link rel="icon" href="/favicon.svg" type="image/svg+xml">');
    const icon = await site.request('/favicon.svg');
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    expect(await icon.text()).toContain('<svg');
  });

  it('answers 404 with a page for unknown paths and refuses path traversal', async () => {
    expect((await site.request('/no-such-page')).status).toBe(404);
    expect((await site.request('/../package.json')).status).toBe(404);
    expect((await site.request('/files/../../renderPage.ts')).status).toBe(404);
  });
});
