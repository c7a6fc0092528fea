import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_PATH, interpolateEnv, loadConfig, parseConfig } from './loadConfig.js';
import { createPageClassifier } from './pageRules.js';

const writeTemp = (text: string) => {
  const file = join(mkdtempSync(join(tmpdir(), 'lb-config-')), 'config.json');
  writeFileSync(file, text);
  return file;
};

describe('config', () => {
  it('ships a demo config whose allowed origins follow DEMO_PORT', () => {
    expect(loadConfig(DEFAULT_CONFIG_PATH, {}).sites[0]!.allowedOrigins).toContain('http://localhost:3000');
    expect(loadConfig(DEFAULT_CONFIG_PATH, { DEMO_PORT: '4100' }).sites[0]!.allowedOrigins).toContain('http://localhost:4100');
  });

  it('names the file and the bad field', () => {
    const file = writeTemp(JSON.stringify({ sites: [{ key: 'demo', pages: [{ match: '/x', stage: 'sideways' }] }] }));
    expect(() => loadConfig(file, {})).toThrow(new RegExp(`config ${file} is invalid:[\\s\\S]*sites\\.0\\.pages\\.0\\.stage`));
  });

  it('explains a file that is missing or not JSON', () => {
    expect(() => loadConfig('/nonexistent/leadbeam.json', {})).toThrow(/cannot read the file \(ENOENT\)/);
    expect(() => loadConfig(writeTemp('{ sites: '), {})).toThrow(/not valid JSON/);
  });

  it('rejects duplicate site keys and origins with a path', () => {
    expect(() => parseConfig({ sites: [{ key: 'a' }, { key: 'a' }] }, 'x')).toThrow(/sites\.1\.key: duplicate site key "a"/);
    expect(() => parseConfig({ sites: [{ key: 'a', allowedOrigins: ['https://a.example/path'] }] }, 'x')).toThrow(/allowedOrigins\.0: must be an origin/);
  });

  it('interpolates ${VAR} and ${VAR:-default}, and refuses an unset variable without default', () => {
    expect(interpolateEnv({ a: ['${X}', 'p${Y:-7}'] }, { X: 'one' })).toEqual({ a: ['one', 'p7'] });
    expect(() => parseConfig({ sites: [{ key: '${SITE}' }] }, 'x', {})).toThrow(/SITE is not set/);
  });
});

describe('URL rules', () => {
  const classify = createPageClassifier([
    { match: '/blog/**', stage: 'top', category: 'blog' },
    { match: '/pricing', stage: 'bottom' },
    { match: '/docs/*/setup', stage: 'middle', category: 'docs' },
    { match: '/**', category: 'site' },
  ]);

  it('matches sections, exact paths and single segments, ignoring trailing slashes and queries', () => {
    expect(classify('/blog', {})).toEqual({ stage: 'top', category: 'blog' });
    expect(classify('/blog/2026/a-post/', {})).toEqual({ stage: 'top', category: 'blog' });
    expect(classify('/blogroll', {})).toEqual({ category: 'site' });
    expect(classify('/pricing/?plan=pro', {})).toEqual({ stage: 'bottom', category: 'site' });
    expect(classify('/docs/sso/setup', {})).toEqual({ stage: 'middle', category: 'docs' });
    expect(classify('/docs/sso/extra/setup', {})).toEqual({ category: 'site' });
  });

  it('answers at once for a pattern with many wildcards against a long path (no backtracking RegExp)', () => {
    // Old: `^\/[^/]*a[^/]*a…b$` and `^\/.*a.*a…b$` backtracked for seconds on 2,000 "a"s.
    const hostile = createPageClassifier([
      { match: '/*a*a*a*a*a*a*a*a*b', stage: 'top' },
      { match: '/**a**a**a**a**a**a**a**b/**', category: 'never' },
      { match: '/*a*a*a*a*a*a*a*a', category: 'many-a' },
    ]);
    const started = performance.now();
    expect(hostile('/' + 'a'.repeat(2000), {})).toEqual({ category: 'many-a' });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('lets markup on the page win, field by field', () => {
    expect(classify('/blog/case-study', { stage: 'bottom' })).toEqual({ stage: 'bottom', category: 'blog' });
    expect(classify('/pricing', { category: 'plans' })).toEqual({ stage: 'bottom', category: 'plans' });
  });
});
