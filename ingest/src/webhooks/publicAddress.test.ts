import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { createCheckedLookup, RefusedAddressError, type Resolver } from './checkedLookup.js';
import { whyNotPublic } from './publicAddress.js';
import { webhookUrlProblem } from './webhookUrl.js';
import { REFUSED_URLS } from './refusedUrls.fixture.js';

describe('public addresses', () => {
  it('refuses loopback, private, link-local, CGNAT, unique-local, unspecified, multicast, broadcast and reserved addresses, IPv4 inside IPv6 by its IPv4', () => {
    expect(whyNotPublic('10.0.0.5')).toBe('a private address');
    expect(whyNotPublic('::ffff:10.0.0.5')).toBe('an IPv4-mapped form of 10.0.0.5, a private address');
    expect(whyNotPublic('64:ff9b::a00:5')).toBe('a NAT64 form of 10.0.0.5, a private address');
    expect(whyNotPublic('2001:db8::1')).toBe('a reserved address');
    expect(whyNotPublic('::7f00:1')).toBe('a reserved address'); // IPv4-compatible: not global unicast
    expect(whyNotPublic('2002:7f00:1::1')).toBe('a special-purpose address (6to4)');
    for (const ip of ['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808']) expect(whyNotPublic(ip)).toBeNull();
  });

  it('reads a webhook URL as a connection would (every spelling of an IPv4 address) and says why it is refused', () => {
    for (const [url, why] of REFUSED_URLS) expect(webhookUrlProblem(url), url).toMatch(why);
    // Names that only contain an internal suffix's word are public: only the suffix counts.
    for (const url of ['https://crm.example/hook', 'http://hooks.example:8080/x', 'https://93.184.215.14/hook', 'https://[2606:4700:4700::1111]/hook', 'https://crm.example./hook', 'https://internal.example/hook', 'https://local.example.com/hook', 'https://svc.io/hook', 'https://my.homelocal.com/hook']) {
      expect(webhookUrlProblem(url), url).toBeNull();
    }
  });

  it('takes every http(s) URL when private targets are allowed, and still nothing else', () => {
    for (const [url] of REFUSED_URLS.filter(([u]) => u.startsWith('http'))) expect(webhookUrlProblem(url, { allowPrivate: true }), url).toBeNull();
    expect(webhookUrlProblem('ftp://crm.example/hook', { allowPrivate: true })).toBe('must be an http(s) URL');
  });
});

describe('checked lookup', () => {
  /** Runs a `net`-style lookup to its callback. */
  const lookUp = (lookup: ReturnType<typeof createCheckedLookup>, hostname: string, options: { all?: boolean; family?: number } = {}) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number }>((resolve) =>
      lookup(hostname, options, (err, address, family) => resolve({ err, address, family })),
    );
  const stub = (answers: Record<string, LookupAddress[]>) => {
    const asked: string[] = [];
    const resolve: Resolver = async (hostname) => {
      asked.push(hostname);
      return answers[hostname] ?? [];
    };
    return { resolve, asked };
  };

  it('refuses a name when any of its addresses is not public, saying which', async () => {
    const { resolve } = stub({ 'api.example': [{ address: '93.184.215.14', family: 4 }, { address: '10.0.0.5', family: 4 }] });
    const { err } = await lookUp(createCheckedLookup({ resolve }), 'api.example', { all: true });
    expect(err).toBeInstanceOf(RefusedAddressError);
    expect(err!.message).toBe('refused: api.example resolves to 10.0.0.5, a private address');
  });

  it('hands the socket the addresses it checked, resolving once: a DNS answer that changes afterwards is never used', async () => {
    let calls = 0;
    // Rebinding: public for the first question, loopback for any later one.
    const rebinding: Resolver = async () => (calls++ === 0 ? [{ address: '93.184.215.14', family: 4 }] : [{ address: '127.0.0.1', family: 4 }]);
    const lookup = createCheckedLookup({ resolve: rebinding });
    expect(await lookUp(lookup, 'rebind.example', { all: true })).toEqual({ err: null, address: [{ address: '93.184.215.14', family: 4 }], family: undefined });
    expect(calls).toBe(1);
    const again = await lookUp(lookup, 'rebind.example');
    expect(again.err).toBeInstanceOf(RefusedAddressError); // the next connection is checked again
  });

  it('answers the form the socket asked for (one address or all, of a family), and passes resolver errors on', async () => {
    const { resolve } = stub({ 'both.example': [{ address: '2606:4700:4700::1111', family: 6 }, { address: '93.184.215.14', family: 4 }] });
    const lookup = createCheckedLookup({ resolve });
    expect(await lookUp(lookup, 'both.example')).toEqual({ err: null, address: '2606:4700:4700::1111', family: 6 });
    expect(await lookUp(lookup, 'both.example', { family: 4 })).toEqual({ err: null, address: '93.184.215.14', family: 4 });
    expect((await lookUp(lookup, 'none.example')).err).toMatchObject({ code: 'ENOTFOUND' });
    const failing = createCheckedLookup({ resolve: async () => Promise.reject(Object.assign(new Error('getaddrinfo EAI_AGAIN'), { code: 'EAI_AGAIN' })) });
    expect((await lookUp(failing, 'down.example')).err).toMatchObject({ code: 'EAI_AGAIN' });
  });

  it('checks nothing when private targets are allowed', async () => {
    const { resolve } = stub({ 'hooks.example': [{ address: '127.0.0.1', family: 4 }] });
    expect(await lookUp(createCheckedLookup({ resolve, allowPrivate: true }), 'hooks.example')).toEqual({ err: null, address: '127.0.0.1', family: 4 });
  });
});
