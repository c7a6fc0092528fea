export interface PageSource {
  title: string;
  description?: string;
  /** Funnel stage declared in markup (`<meta name="leadbeam:stage">`); URL rules cover the rest. */
  stage?: string;
  category?: string;
  body: string;
}

export interface ScriptTag {
  /** Where the ingest serves `/sdk.js`. */
  ingestUrl: string;
  siteKey: string;
  /** Extra `data-` attributes for the tag, e.g. `{ 'track-automation': 'true' }` in tests. */
  attributes?: Record<string, string>;
}

const esc = (s: string) => s.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`);

/**
 * Reads a page file: a `---` header of `key: value` lines, then the page's HTML.
 *
 * @example
 * parsePage('---\ntitle: Pricing\nstage: bottom\n---\n<h1>Pricing</h1>')
 */
export function parsePage(text: string): PageSource {
  const match = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text);
  if (!match) throw new Error('page file must start with a --- header');
  const header = Object.fromEntries(
    match[1]!.split('\n').map((line) => {
      const i = line.indexOf(':');
      return [line.slice(0, i).trim(), line.slice(i + 1).trim()];
    }),
  );
  if (!header.title) throw new Error('page header needs a title');
  return { title: header.title, description: header.description, stage: header.stage, category: header.category, body: match[2]! };
}

const NAV = [
  ['/', 'Home'],
  ['/blog/', 'Blog'],
  ['/guides/', 'Guides'],
  ['/resources/', 'Resources'],
  ['/pricing', 'Pricing'],
];

/**
 * Wraps a page in the site's layout, with the leadbeam script tag every page carries.
 *
 * @example
 * renderPage(parsePage(text), '/pricing', { ingestUrl: 'http://localhost:8787', siteKey: 'demo' })
 */
export function renderPage(page: PageSource, path: string, tag: ScriptTag): string {
  const extra = Object.entries(tag.attributes ?? {})
    .map(([k, v]) => ` data-${k}="${esc(v)}"`)
    .join('');
  const nav = NAV.map(([href, label]) => `<a href="${href}"${path === href ? ' aria-current="page"' : ''}>${label}</a>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(page.title)} · Northwind Ledger</title>
${page.description ? `<meta name="description" content="${esc(page.description)}">\n` : ''}${page.stage ? `<meta name="leadbeam:stage" content="${esc(page.stage)}">\n` : ''}${page.category ? `<meta name="leadbeam:category" content="${esc(page.category)}">\n` : ''}<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/site.css">
<script defer src="${esc(tag.ingestUrl)}/sdk.js" data-site="${esc(tag.siteKey)}"${extra}></script>
</head>
<body>
<header class="top"><div class="wrap">
<a class="logo" href="/"><span class="mark">◆</span> Northwind Ledger</a>
<nav>${nav}<a class="cta" href="/demo">Book a demo</a></nav>
</div></header>
<main class="wrap">
${page.body}
</main>
<footer><div class="wrap">
<p>© 2026 Northwind Ledger Ltd · Month-end close, automated · <a href="/newsletter">Newsletter</a> · <a href="/careers/">Careers</a></p>
<p class="small">This is leadbeam's demo site: a fictional company. Every page carries the leadbeam script tag: see <a href="/about-you">what leadbeam knows about you</a>.</p>
</div></footer>
</body>
</html>
`;
}
