import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dropSensitiveProps, dropSensitiveText, dropSensitiveTraits, dropSensitiveUrlText, dropSensitiveValues, emailLooksSensitive, idLooksSensitive, isSecretName, isSensitivePropName, looksSensitive, looksSensitiveValue, stripSecretParams, stripSecretsInText } from './sensitive.js';

describe('stripSecretParams', () => {
  it.each([
    ['password', 'https://a.example/login?password=hunter2'],
    ['pass, passwd, pwd', 'https://a.example/?pass=hunter2&passwd=hunter2&pwd=hunter2'],
    ['token and its kinds', 'https://a.example/?token=hunter2&access_token=hunter2&refresh_token=hunter2&id_token=hunter2&auth_token=hunter2'],
    ['api keys in any spelling', 'https://a.example/?api_key=hunter2&apiKey=hunter2&API_KEY=hunter2&api-key=hunter2&x-api-key=hunter2&apikey=hunter2&key=hunter2'],
    ['secrets and signatures', 'https://a.example/?secret=hunter2&client_secret=hunter2&sig=hunter2&signature=hunter2&X-Amz-Signature=hunter2'],
    ['auth and sessions', 'https://a.example/?auth=hunter2&Authorization=hunter2&session=hunter2&sessionid=hunter2&sessionId=hunter2&sid=hunter2&PHPSESSID=hunter2'],
    ['OAuth codes, one-time codes, JWTs', 'https://a.example/cb?code=hunter2&otp=hunter2&jwt=hunter2'],
    ['a percent-encoded name', 'https://a.example/?pass%77ord=hunter2'],
    ['a name without a value', 'https://a.example/?token'],
  ])('removes %s', (_, url) => {
    expect(stripSecretParams(url)).toBe('https://a.example' + new URL(url).pathname);
  });

  it('keeps UTM parameters, click ids and everything else byte for byte, in order', () => {
    const url = 'https://a.example/p?utm_source=news&token=hunter2&q=a+b%20c&gclid=G1&utm_term=x%2Fy&fbclid=F&msclkid=M&li_fat_id=L&ref=&country_code=DE&signup=1#top';
    expect(stripSecretParams(url)).toBe('https://a.example/p?utm_source=news&q=a+b%20c&gclid=G1&utm_term=x%2Fy&fbclid=F&msclkid=M&li_fat_id=L&ref=&country_code=DE&signup=1#top');
  });

  it('removes secrets from a fragment of parameters (OAuth implicit flow) and from a hash route’s query', () => {
    expect(stripSecretParams('https://a.example/cb#access_token=hunter2&token_type=bearer&state=xyz')).toBe('https://a.example/cb#state=xyz');
    expect(stripSecretParams('https://a.example/cb#id_token=hunter2')).toBe('https://a.example/cb');
    expect(stripSecretParams('https://a.example/#/reset?token=hunter2&step=2')).toBe('https://a.example/#/reset?step=2');
    expect(stripSecretParams('https://a.example/?token=hunter2#section-2')).toBe('https://a.example/#section-2');
  });

  it('removes path parameters with a secret name (Java’s ;jsessionid=, PHP’s, session ids), keeping the others', () => {
    for (const name of ['jsessionid', 'JSESSIONID', 'phpsessid', 'PHPSESSID', 'sid', 'session', 'sessionId', 'token', 'auth'])
      expect(stripSecretParams(`https://a.example/p;${name}=ABC?x=1`), name).toBe('https://a.example/p?x=1');
    expect(stripSecretParams('https://a.example/app;v=2;jsessionid=ABC/page;sid=S;lang=de#k')).toBe('https://a.example/app;v=2/page;lang=de#k');
    expect(stripSecretParams('/shop/cart;jsessionid=0A1B2C')).toBe('/shop/cart');
    expect(stripSecretParams('https://a.example/p;jsessionid=ABC')).toBe('https://a.example/p');
  });

  it('reads ";" as a separator of query and fragment parameters, as "&"', () => {
    expect(stripSecretParams('https://a.example/p?a=1;token=T')).toBe('https://a.example/p?a=1');
    expect(stripSecretParams('https://a.example/p?token=T;a=1')).toBe('https://a.example/p?a=1');
    expect(stripSecretParams('https://a.example/p?utm_source=x;token=T&gclid=G;b=2;sid=S')).toBe('https://a.example/p?utm_source=x&gclid=G;b=2');
    expect(stripSecretParams('https://a.example/cb#state=1;access_token=T')).toBe('https://a.example/cb#state=1');
  });

  it('keeps UTM parameters and click ids separated by ";" byte for byte', () => {
    const url = 'https://a.example/p;v=2?utm_source=news;utm_medium=e%20mail;utm_content=a;b;gclid=G1;fbclid=F&q=x+y';
    expect(stripSecretParams(url)).toBe(url);
    expect(stripSecretParams(url + ';password=P')).toBe(url);
  });

  it('removes a user and password written into the URL', () => {
    expect(stripSecretParams('https://ana:hunter2@a.example/p?x=1')).toBe('https://a.example/p?x=1');
  });

  it('leaves URLs without secrets, relative text and unparseable text as they are', () => {
    for (const url of ['https://a.example/p?x=1&y=2#k=v', 'https://a.example/p?', 'https://a.example/#', '/pricing', 'not a url', '', '%%%?%zz=1', 'mailto:ana@a.example?subject=hi']) {
      expect(stripSecretParams(url)).toBe(url);
    }
    expect(stripSecretParams('/reset?token=hunter2&x=1')).toBe('/reset?x=1');
  });
});

describe('isSecretName', () => {
  it('reads names in any case and with any separator, and keeps campaign parameters and names that only contain a short secret word', () => {
    for (const name of ['apiKey', 'api-key', 'API_KEY', 'x-api-key', 'auth_token', 'jwt', 'clientSecret', 'refreshToken', 'JSESSIONID', 'password_confirm', 'code', 'otp', 'iban', 'cvv'])
      expect(isSecretName(name), name).toBe(true);
    for (const name of ['utm_source', 'utm_content', 'gclid', 'fbclid', 'msclkid', 'li_fat_id', 'signup', 'design', 'side', 'passenger', 'country_code', 'sort_key', 'keyword', 'author', 'authuser', 'page', 'q'])
      expect(isSecretName(name), name).toBe(false);
  });
});

describe('isSensitivePropName', () => {
  it('drops payment, expiry and secret names, but not words that merely start with "exp"', () => {
    for (const name of ['card_number', 'cc', 'cvv', 'password', 'iban', 'ssn', 'routing', 'security_code', 'exp', 'expiry', 'exp_date', 'exp_month', 'expMonth', 'expyear', 'card_exp', 'cc-exp', 'cardExpiry', 'expiration_date', 'apiKey', 'token'])
      expect(isSensitivePropName(name), name).toBe(true);
    for (const name of ['export', 'expires', 'expires_at', 'experience', 'expected', 'expense', 'exportFormat', 'plan', 'seats', 'url'])
      expect(isSensitivePropName(name), name).toBe(false);
  });
});

describe('looksSensitive and looksSensitiveValue', () => {
  it('catches cards and social security numbers written with dots or spaces, as with dashes', () => {
    for (const value of ['4111.1111.1111.1111', '4111 1111 1111 1111', '4111-1111-1111-1111', '3782 822463 10005', '123 45 6789', '123.45.6789', '123-45-6789'])
      expect(looksSensitiveValue(value), value).toBe(true);
    // The script's own check stays as small as it was: dashes and spaces between groups of four.
    for (const value of ['4111 1111 1111 1111', '4111-1111-1111-1111', '123-45-6789']) expect(looksSensitive(value), value).toBe(true);
  });

  it('catches a Luhn-valid card number and a social security number anywhere in a text, with any separator', () => {
    for (const value of [
      '4111111111111111 ',
      ' 4111 1111 1111 1111',
      'card 4111 1111 1111 1111',
      'paid with 4111-1111-1111-1111, thanks',
      '4111_1111_1111_1111',
      '4111/1111/1111/1111',
      '4111  1111  1111  1111',
      '4111\u00a01111\u00a01111\u00a01111',
      '4111\t1111\t1111\t1111',
      'amex 3782 822463 10005 exp 12/27',
      'cc=5555555555554444&x=1',
      'ref4111111111111111',
      'SSN 123-45-6789',
      'ssn: 123 45 6789.',
      '123_45_6789',
      '123/45/6789',
    ])
      expect(looksSensitiveValue(value), value).toBe(true);
  });

  it('catches cards and social security numbers in other scripts\' digits, with typographic or spaced dashes, bullets and invisible characters', () => {
    for (const value of [
      '4111\u20131111\u20131111\u20131111', // en dash, as word processors and phones write it
      'SSN 123\u201345\u20136789',
      '123\u221245\u22126789', // minus sign
      '4111\u200b1111\u200b1111\u200b1111', // zero-width space
      '4111\u00ad1111\u00ad1111\u00ad1111', // soft hyphen
      '\uff14\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11', // full-width
      '\u0664\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661', // Arabic-Indic
      'card \u096a\u0967\u0967\u0967 \u0967\u0967\u0967\u0967 \u0967\u0967\u0967\u0967 \u0967\u0967\u0967\u0967', // Devanagari
      '4111 - 1111 - 1111 - 1111',
      '4111 \u2014 1111 \u2014 1111 \u2014 1111',
      '\uff14\uff11\uff11\uff11\u30fc\uff11\uff11\uff11\uff11\u30fc\uff11\uff11\uff11\uff11\u30fc\uff11\uff11\uff11\uff11', // an IME's long-vowel mark
      '4111\u20221111\u20221111\u20221111',
      '4111\u00b71111\u00b71111\u00b71111',
    ])
      expect(looksSensitiveValue(value), value).toBe(true);
    // Text in other scripts without such a number stays, as do phone numbers with brackets and plus signs, and years.
    for (const value of ['\u0664\u0661\u0661\u0661', 'Fernhill \u2013 2026', '\u6771\u4eac\u90fd \uff11\uff12\uff13', '+1 (555) 123-4567', 'sizes 10,12,14'])
      expect(looksSensitiveValue(value), value).toBe(false);
    expect(idLooksSensitive('\uff14\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11')).toBe(true);
    expect(emailLooksSensitive('4111\u20131111\u20131111\u20131111@pay.example')).toBe(true);
    expect(stripSecretParams('https://a.example/?note=4111%E2%80%931111%E2%80%931111%E2%80%931111&a=1')).toBe('https://a.example/?a=1');
  });

  it('keeps phone numbers with a trunk prefix, years written one after another and comma lists, whatever their checksum', () => {
    // Every such value of these shapes, not a sample that happens to fail the Luhn check.
    const values: string[] = [];
    for (let n = 0; n < 200; n++) {
      const d = (k: number) => String((n * 7919 + k * 104729) % 10 ** 4).padStart(4, '0');
      values.push(`+44 (0)20 ${d(1)} ${d(2)}`, `+44 (0)7${d(3).slice(1)} ${d(4)}${d(5).slice(2)}`, `+49 (0)30 ${d(6)}${d(7)}`);
    }
    for (let y = 1990; y < 2030; y++)
      values.push(`${y}-${y + 1} ${y + 2}-${y + 3}`, `${y}, ${y + 1}, ${y + 2}, ${y + 3}`, `${y},${y + 1},${y + 2},${y + 3}`, `${y} ${y + 1} ${y + 2} ${y + 3}`, `Saisons ${y}/${y + 1}, ${y + 2}/${y + 3}`, `${y}\u2013${y + 1} ${y + 2}\u2013${y + 3}`);
    values.push('123, 45, 6789');
    expect(values.filter((v) => looksSensitiveValue(v))).toEqual([]);
    expect(dropSensitiveTraits({ email: 'a@b.example', phone: '+44 (0)20 7946 0006' })).toEqual({ email: 'a@b.example', phone: '+44 (0)20 7946 0006' });
  });

  it('catches a card typed by hand with mixed separators between its groups of four', () => {
    for (const value of ['4111 1111-1111 1111', 'card: 4111-1111 1111.1111', '5555.5555 5555-4444', '4111/1111 1111_1111'])
      expect(looksSensitiveValue(value), value).toBe(true);
    // Other groups still join only across one separator: a date and a time, an order and a date.
    for (const value of ['2024-01-01/2024-02-02', '2026-11-29 2026-12-01', 'order 55-5555 5555-4444-2']) expect(looksSensitiveValue(value), value).toBe(false);
  });

  it('keeps long ids that fail the Luhn check, ids with letters, dates and phone numbers', () => {
    for (const value of [
      '1234567890123456',
      'order 1234567890123456 shipped',
      '4111111111111112',
      '550e8400-e29b-41d4-a716-446655440000',
      'cus_9f86d081884c7d659a2feaa0c55ad015',
      // Luhn-valid as 16 digits, but a date range: "-" and "/" do not join one number.
      '2024-01-01/2024-02-02',
      '2026-11-29T08:55:20Z',
      'v1.2.3',
      '+44 20 7946 0000',
      '+1 (555) 123-4567',
      'order 123456789',
    ])
      expect(looksSensitiveValue(value), value).toBe(false);
    expect(looksSensitiveValue(1234567890123456)).toBe(false);
  });

  it('keeps Luhn-valid numbers no card network issues: millisecond timestamps and ids opening with 0, 1, 7, 8 or 9', () => {
    // 1732896000004 passes the Luhn check: a download named after the time it was made.
    for (const value of ['export-1732896000004.csv', '1732896000004', 'order 7992739871300008 shipped', '0000000000000000'])
      expect(looksSensitiveValue(value), value).toBe(false);
    expect(looksSensitiveValue(1732896000004)).toBe(false);
    // Every network's test number is still a card.
    for (const card of ['4111111111111111', '5555555555554444', '2223003122003222', '378282246310005', '6011111111111117', '3530111333300000', '36227206271667'])
      expect(looksSensitiveValue(`card ${card}`), card).toBe(true);
  });

  it('catches card and social security numbers sent as JSON numbers', () => {
    expect(looksSensitiveValue(4111111111111111)).toBe(true);
    expect(looksSensitiveValue(378282246310005)).toBe(true);
    expect(looksSensitiveValue(123456789)).toBe(true);
    // What it must keep: fractions, small numbers, millisecond times, phone numbers.
    for (const value of [2.6666666666666665, 0.8444218515250481, 51.5073509, 3, 61_000, 1718000000000, '+44 20 7946 0000', '(555) 123-4567', true, null])
      expect(looksSensitiveValue(value), String(value)).toBe(false);
  });
});

describe('dropSensitiveProps', () => {
  it('drops a property whose name holds a card or social security number, at any depth, keeping maps keyed by ids', () => {
    expect(dropSensitiveProps({ '4111 1111 1111 1111': 'x', 'note 123-45-6789': 1, plan: 'pro', meta: { '5555\u20135555\u20135555\u20134444': true, seats: 12 } })).toEqual({ plan: 'pro', meta: { seats: 12 } });
    expect(dropSensitiveProps({ items: { '100200300': 3, '100200301': 1 } })).toEqual({ items: { '100200300': 3, '100200301': 1 } });
  });

  it('drops secret and card-like names, sensitive values, and secrets inside URL values', () => {
    const props = {
      password: 'hunter2',
      apiKey: 'hunter2',
      cvv: 123,
      iban: 'DE89370400440532013000',
      card_number: 'x',
      accessToken: 'hunter2',
      note: 4111111111111111,
      dotted: '4111.1111.1111.1111',
      link: 'https://a.example/file.pdf?token=hunter2&v=2',
    };
    expect(dropSensitiveProps(props)).toEqual({ link: 'https://a.example/file.pdf?v=2' });
  });

  it('strips secret parameters from values that read as a path, a query or a fragment, and leaves other text alone', () => {
    const props = { back: '/reset?token=T&step=2', query: '?token=T', hash: '#access_token=T&state=1', up: '../p;jsessionid=J?x=1', cdn: '//cdn.example/a.pdf?sig=S', text: 'Why switch? session=2 of the webinar' };
    expect(dropSensitiveProps(props)).toEqual({ back: '/reset?step=2', query: '', hash: '#state=1', up: '../p?x=1', cdn: '//cdn.example/a.pdf', text: 'Why switch? session=2 of the webinar' });
  });

  it('drops sensitive names and values at every depth of nested objects and arrays', () => {
    const props = {
      meta: { token: 'T', plan: 'pro', card: { number: '4111 1111 1111 1111' }, export: 'csv' },
      list: [{ password: 'P', n: 1 }, 'card 4111 1111 1111 1111', '/r?token=T&x=1', [{ apiKey: 'K', ok: true }]],
      at: new Date(0),
    };
    expect(JSON.parse(JSON.stringify(dropSensitiveProps(props)))).toEqual({ meta: { plan: 'pro', export: 'csv' }, list: [{ n: 1 }, '/r?x=1', [{ ok: true }]], at: '1970-01-01T00:00:00.000Z' });
  });

  it('strips secret parameters from URLs inside a text', () => {
    expect(dropSensitiveProps({ note: 'see https://a.example/reset?token=T&x=1 and http://b.example/?sig=S.', plain: 'no link, token=T' })).toEqual({ note: 'see https://a.example/reset?x=1 and http://b.example/.', plain: 'no link, token=T' });
  });

  it('strips secrets from text that is a bare query, a cookie, a header line or a relative URL, from bearer tokens and from URLs written without their scheme; prose stays', () => {
    const props = {
      query: 'a=1&password=hunter2',
      cookie: 'theme=dark; sessionid=abc123',
      header: 'Authorization: Bearer abc',
      line: 'X-Api-Key: 0123456789abcdef',
      sent: 'sent with bearer eyJhbGciOiJIUzI1NiJ9.e30.sig1 attached',
      screen: 'reset?token=T',
      www: 'see www.x.example/reset?token=T&x=1 now',
      prose: 'Reset password: step 2, then bearer instruments',
      settings: 'Why switch? session=2 of the webinar',
    };
    expect(dropSensitiveProps(props)).toEqual({
      query: 'a=1',
      cookie: 'theme=dark',
      header: 'Authorization: [redacted]',
      line: 'X-Api-Key: [redacted]',
      sent: 'sent with bearer [redacted] attached',
      screen: 'reset',
      www: 'see www.x.example/reset?x=1 now',
      prose: 'Reset password: step 2, then bearer instruments',
      settings: 'Why switch? session=2 of the webinar',
    });
    // Titles and names shaped like a header line stay unless the value reads as a credential.
    for (const title of ['Session: Opening keynote', 'Passwords: why length matters', 'Tokenization: what it is', 'Card: gift cards', 'PIN: how to reset it', 'Secret: Santa 2024', 'Key: value'])
      expect(stripSecretsInText(title), title).toBe(title);
    expect(stripSecretsInText('Host: x.example\r\nX-Api-Key: abc123\r\nAccept: */*')).toBe('Host: x.example\r\nX-Api-Key: [redacted]\r\nAccept: */*');
    expect(stripSecretsInText('Cookie: sessionid=abc123; theme=dark')).toBe('Cookie: theme=dark');
    expect(stripSecretsInText('a=1, password=x')).toBe('a=1');
    expect(stripSecretsInText('CognitoIdentityServiceProvider.3n4b5urk1ft4fl3mg5e62d9ado.user-1234.accessToken=eyJraWQiOiJ')).toBe('');
    expect(stripSecretsInText('"https://x.example/?token=abc&a=1"')).toBe('"https://x.example/?a=1"');
    expect(stripSecretsInText('reset?token=T.')).toBe('reset.');
    // A user and password however a browser reads them; a mailto's address is no user.
    for (const url of ['https://user:hunter2@x.example/', 'https:user:hunter2@x.example/', 'https:/user:hunter2@x.example/', 'https:\\user:hunter2@x.example/'])
      expect(stripSecretParams(url), url).not.toContain('hunter2');
    expect(stripSecretParams('mailto:ana@fernhill.example')).toBe('mailto:ana@fernhill.example');
    // A URL parameter whose value is itself a query with a secret goes, campaign parameters too.
    expect(stripSecretParams('https://x.example/?utm_term=password%3DX&utm_source=ads')).toBe('https://x.example/?utm_source=ads');
    // …but a campaign's own words stay: a promo code or a key=value term is no secret.
    expect(stripSecretParams('https://x.example/?utm_content=code%3DSUMMER&utm_term=key%3Dvalue')).toBe('https://x.example/?utm_content=code%3DSUMMER&utm_term=key%3Dvalue');
    // Traits are text too: a secret in one goes, the email stays.
    expect(dropSensitiveTraits({ email: 'ana@fernhill.example', company: 'https://x.example/?token=T' })).toEqual({ email: 'ana@fernhill.example', company: 'https://x.example/' });
  });

  it('reads long hostile text in linear time: a text of words and dots is no URL to search to its end from every word', () => {
    // Quadratic, each of these took seconds (30 KB: about 1 s; 300 KB: minutes); linear, milliseconds.
    for (const text of [
      'a.'.repeat(150_000), 'a-'.repeat(150_000), 'a.'.repeat(150_000) + '://', 'x='.repeat(150_000), 'bearer '.repeat(40_000) + '1', 'k:'.repeat(150_000),
      'a?' + '='.repeat(300_000) + ' x', 'a=1' + '\n'.repeat(300_000) + '!', 'k: a' + ' '.repeat(300_000) + 'b', 'a=1' + '&b=2'.repeat(75_000) + ' !',
    ]) {
      expect(typeof stripSecretsInText(text)).toBe('string');
      expect(typeof dropSensitiveText(text)).toBe('string');
    }
  }, 5000);

  it('cleans inside an object that carries a key named toJSON (parsed JSON can), which JSON.stringify would store whole', () => {
    const props = JSON.parse('{"meta":{"toJSON":1,"token":"SECRET-TOKEN","password":"hunter2","plan":"pro"}}');
    expect(JSON.parse(JSON.stringify(dropSensitiveProps(props)))).toEqual({ meta: { toJSON: 1, plan: 'pro' } });
  });

  it('keeps the props the script sends and scoring rules match on', () => {
    const props = { url: 'https://a.example/files/a.pdf', marked: true, engagedMs: 61_000, scrollDepth: 80, value: 0.123, rating: 'good', seats: 12, plan: 'growth', webinar: 'q4', at: 1718000000000, nothing: null, export: 'csv', expires: 1718000000000, experience: '5y' };
    // With a dropped one beside them, so the old code (which kept everything) fails here too.
    expect(dropSensitiveProps({ ...props, secret: 'hunter2' })).toEqual(props);
  });
});

describe('dropSensitiveValues', () => {
  it('drops sensitive numbers as well as text', () => {
    expect(dropSensitiveValues({ a: 4111111111111111, b: '123 45 6789', c: 'Controller', d: 12 })).toEqual({ c: 'Controller', d: 12 });
  });
});

describe('emailLooksSensitive and dropSensitiveTraits', () => {
  it('keeps an address whose digits are glued to letters, as generated ids are, though a card-like run hides in them', () => {
    // A card number glued to letters: as any other text it would be dropped.
    expect(looksSensitiveValue('ops4111111111111111@fernhill.example')).toBe(true);
    for (const email of ['rs-a1bfcd3af936109660334671@fernhill.example', 'Ana.Kovac@Fernhill.Example', 'ana+2024-11-29@fernhill.example', 'ops4111111111111111@fernhill.example'])
      expect(emailLooksSensitive(email), email).toBe(false);
  });

  it('still drops an address that carries a card or social security number of its own, and anything that is not an address', () => {
    for (const value of [
      '4111111111111111@x.co',
      '4111-1111-1111-1111@x.co',
      '4111.1111.1111.1111@x.co',
      '123-45-6789@x.co',
      '123456789@x.co',
      'a@4111111111111111.co',
      'ana.4111111111111111@fernhill.example',
      'my-card-4111_1111_1111_1111-exp-12/29@pay.example',
      '4111 1111 1111 1111',
      'card 4111111111111111 ana@fernhill.example',
      4111111111111111,
    ])
      expect(emailLooksSensitive(value), String(value)).toBe(true);
  });

  it('applies the email rule to the email trait only: every other trait still loses an email-shaped card number', () => {
    expect(dropSensitiveTraits({ email: 'rs-a1bfcd3af936109660334671@fernhill.example', phone: '4111-1111-1111-1111@x.co', company: 'Fernhill' })).toEqual({
      email: 'rs-a1bfcd3af936109660334671@fernhill.example',
      company: 'Fernhill',
    });
    expect(dropSensitiveTraits({ email: '5555555555554444@pay.example', jobTitle: 'CFO' })).toEqual({ jobTitle: 'CFO' });
    // Properties follow the general rule: an id glued to letters in an address-shaped prop still goes.
    expect(dropSensitiveProps({ memo: '378282246310005@amex.example', ok: 'a@b.example' })).toEqual({ ok: 'a@b.example' });
  });
});

/** Uniformly random bytes (no bias towards zeros: a random id is not "0000…"). */
const randomBytes = (n: number) => fc.noBias(fc.uint8Array({ minLength: n, maxLength: n }));
// What Math.random() gives: a multiple of 2^-53 in [0, 1), uniformly (fc.double spreads over bit patterns, mostly tiny numbers).
const unitDouble = fc.integer({ min: 0, max: 2 ** 53 - 1 }).map((n) => n / 2 ** 53);
const randomIds = {
  // The script's makeId: two Math.random() values in base 36.
  script: fc.noBias(fc.tuple(unitDouble, unitDouble)).map(([a, b]) => a.toString(36).slice(2) + b.toString(36).slice(2)).filter((id) => id.length >= 8),
  base64url: randomBytes(24).map((b) => Buffer.from(b).toString('base64url')),
  hex32: randomBytes(16).map((b) => Buffer.from(b).toString('hex')),
  uuid: fc.noBias(fc.uuid()),
};

describe('stripSecretParams: sensitive values, payment names, nested URLs and hash routes', () => {
  it('removes a parameter whose value holds a card or social security number, whatever its name, as it removes a secret name', () => {
    expect(stripSecretParams('https://a.example/p?note=4111111111111111&plan=pro')).toBe('https://a.example/p?plan=pro');
    expect(stripSecretParams('https://a.example/search?q=4111111111111111')).toBe('https://a.example/search');
    // Percent-encoded, "+" for spaces, inside text, a social security number, ";"-separated, in a fragment and a path parameter.
    expect(stripSecretParams('https://a.example/?a=1&q=card%204111%201111%201111%201111&b=2')).toBe('https://a.example/?a=1&b=2');
    expect(stripSecretParams('https://a.example/?q=4111+1111+1111+1111&b=2')).toBe('https://a.example/?b=2');
    expect(stripSecretParams('https://a.example/?who=123-45-6789;b=2')).toBe('https://a.example/?b=2');
    expect(stripSecretParams('https://a.example/cb#note=5555555555554444&state=1')).toBe('https://a.example/cb#state=1');
    expect(stripSecretParams('https://a.example/p;n=4111111111111111;v=2')).toBe('https://a.example/p;v=2');
    // UTM parameters are kept for their name, never for a card number in their value.
    expect(stripSecretParams('https://a.example/?utm_term=4111111111111111&utm_source=news')).toBe('https://a.example/?utm_source=news');
  });

  it('redacts a path segment holding a card or social security number, keeping the rest of the URL as written', () => {
    expect(stripSecretParams('https://a.example/orders/4111111111111111/receipt?utm_source=x')).toBe('https://a.example/orders/[redacted]/receipt?utm_source=x');
    expect(stripSecretParams('/pay/card-4111-1111-1111-1111')).toBe('/pay/[redacted]');
    expect(stripSecretParams('https://a.example/u/123-45-6789#tab')).toBe('https://a.example/u/[redacted]#tab');
    // Percent-encoded, in full-width digits, or in a hash route's path.
    expect(stripSecretParams('https://a.example/c/4111%201111%201111%201111/x')).toBe('https://a.example/c/[redacted]/x');
    expect(stripSecretParams('https://a.example/orders/\uff14\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11/receipt')).toBe('https://a.example/orders/[redacted]/receipt');
    expect(stripSecretParams('https://a.example/#/orders/4111-1111-1111-1111')).toBe('https://a.example/#/orders/[redacted]');
    expect(stripSecretParams('https://a.example/q?x=1#/pay/4111111111111111?step=2&token=T')).toBe('https://a.example/q?x=1#/pay/[redacted]?step=2');
    expect(stripSecretParams('https://a.example/#/blog/2024/06/25/448400')).toBe('https://a.example/#/blog/2024/06/25/448400');
    // Paths that carry dates, versions, ids and order numbers stay byte for byte, every one of these shapes.
    for (const url of ['https://a.example/blog/2026/11/29/launch', 'https://a.example/v1.2.3/docs', 'https://a.example/orders/123456789', 'https://a.example/o/4111111111111112', 'https://a.example/i/550e8400-e29b-41d4-a716-446655440000', 'https://a.example/t/1718000000000'])
      expect(stripSecretParams(url)).toBe(url);
    const paths: string[] = [];
    for (let n = 0; n < 1000; n++) {
      const d = (k: number, w: number) => String((n * 7919 + k * 104729) % 10 ** w).padStart(w, '0');
      paths.push(`https://news.example/20${d(1, 2)}/${d(2, 2)}/${d(3, 2)}/${d(4, 6)}/`, `http://localhost:3000/c/${d(5, 4)}/${d(6, 4)}/${d(7, 4)}/${d(8, 4)}`, `https://facebook.example/groups/1${d(9, 14)}/posts/1${d(10, 15)}`);
    }
    expect(paths.filter((url) => stripSecretParams(url) !== url)).toEqual([]);
  });

  it('removes card, cc and social security names, as properties lose them', () => {
    expect(stripSecretParams('https://a.example/pay?ccnum=x1&cardnumber=x2&card_number=x3&cardNo=x4&creditCard=x5&credit-card-number=x6&cc=x7&cc_exp=x8&ccv=x9&card=x10&ssn=x11&social_security_number=x12&plan=pro')).toBe(
      'https://a.example/pay?plan=pro',
    );
    for (const name of ['ccnum', 'cardnumber', 'card_number', 'cardNumber', 'creditcard', 'debit_card', 'cc', 'cc-exp', 'ccv', 'card', 'cardholder', 'ssn', 'socialSecurityNumber', 'soc_sec'])
      expect(isSecretName(name), name).toBe(true);
    for (const name of ['scorecard', 'cards', 'discard', 'postcard', 'account', 'success', 'accept', 'occupation', 'cardinal'])
      expect(isSecretName(name), name).toBe(false);
  });

  it('strips a parameter whose value is itself a URL, recursively, changing nothing when it holds no secret', () => {
    expect(stripSecretParams('https://a.example/login?redirect=https%3A%2F%2Fa.example%2F%3Ftoken%3DSECRET18&x=1')).toBe('https://a.example/login?redirect=https%3A%2F%2Fa.example%2F&x=1');
    expect(stripSecretParams('https://a.example/login?next=/account?token=T')).toBe('https://a.example/login?next=/account');
    expect(stripSecretParams('https://a.example/login?next=%2Faccount%3Fstep%3D2%26token%3DT')).toBe('https://a.example/login?next=%2Faccount%3Fstep%3D2');
    // A card number anywhere in a URL-valued parameter drops the parameter, as it drops any other.
    expect(stripSecretParams('https://a.example/?r=https%3A%2F%2Fb.example%2F%3Fnote%3D4111111111111111&x=1')).toBe('https://a.example/?x=1');
    // Two levels: a URL in a parameter of a URL in a parameter.
    const inner = `https://c.example/?token=T&k=1`;
    const middle = `https://b.example/?next=${encodeURIComponent(inner)}`;
    expect(stripSecretParams(`https://a.example/?r=${encodeURIComponent(middle)}`)).toBe(`https://a.example/?r=${encodeURIComponent(`https://b.example/?next=${encodeURIComponent('https://c.example/?k=1')}`)}`);
    // Encoded twice over, as some redirectors do.
    expect(stripSecretParams(`https://a.example/?r=${encodeURIComponent(encodeURIComponent('https://b.example/?token=T'))}`)).not.toContain('token');
    // Without a secret, byte for byte.
    for (const url of ['https://a.example/login?redirect=https%3A%2F%2Fa.example%2Fp%3Fx%3D1%26utm_source%3Dnews', 'https://a.example/?next=/account?step=2', 'https://a.example/?q=%23tag&r=%2F'])
      expect(stripSecretParams(url)).toBe(url);
  });

  it('drops a URL nested deeper than it looks into rather than keeping what it did not read', () => {
    let url = 'https://z.example/?token=T';
    for (let i = 0; i < 6; i++) url = `https://a.example/?r=${encodeURIComponent(url)}`;
    const stripped = stripSecretParams(url + '&x=1');
    // The levels it read are kept, the one it did not is dropped: the secret and its host are gone.
    expect(stripped).toMatch(/^https:\/\/a\.example\/\?r=https%3A%2F%2Fa\.example%2F%3Fr%3D.*&x=1$/);
    for (let text = stripped, i = 0; i < 10; i++, text = decodeURIComponent(text)) expect(text).not.toMatch(/token|z\.example/);
  });

  it('reads "&" and ";"-separated pairs after a hash route that has no "?"', () => {
    expect(stripSecretParams('https://a.example/#/reset&token=SECRET13')).toBe('https://a.example/#/reset');
    expect(stripSecretParams('https://a.example/#/reset&token=T&step=2')).toBe('https://a.example/#/reset&step=2');
    expect(stripSecretParams('https://a.example/#!/pay;ccnum=4111111111111111;v=2')).toBe('https://a.example/#!/pay;v=2');
    expect(stripSecretParams('https://a.example/#/a&sid=S?x=1&token=T')).toBe('https://a.example/#/a?x=1');
    for (const url of ['https://a.example/#/reset&step=2', 'https://a.example/#section-2', 'https://a.example/#/a&b'])
      expect(stripSecretParams(url)).toBe(url);
  });

  it('keeps ordinary values: short order numbers, campaign names with a year, ids, dates, times', () => {
    const url =
      'https://a.example/p?order=123456789012&p=123456789&utm_campaign=spring_sale_2026&utm_content=ad-42&id=550e8400-e29b-41d4-a716-446655440000&from=2026-01-01&to=2026-02-02&v=2&page=3&gclid=EAIaIQobChMI9p2W1Zu4gwMVkZBQBh0PdgAAEAAYASAAEgI3e_D_BwE';
    expect(stripSecretParams(url)).toBe(url);
  });
});

describe('dropSensitiveText', () => {
  it('drops a text that holds a card or social security number anywhere, as a property value is dropped', () => {
    for (const text of ['Card 4111 1111 1111 1111 SSN 123-45-6789', 'card 4111 1111 1111 1111', '4111111111111111', 'SSN 123-45-6789', '5555-5555-5555-4444'])
      expect(dropSensitiveText(text), text).toBeUndefined();
  });

  it('strips secrets from a text that is a URL or a query, and from URLs inside it', () => {
    expect(dropSensitiveText('?token=SECRET5')).toBe('');
    expect(dropSensitiveText('https://x.example/?token=SECRET6&a=1')).toBe('https://x.example/?a=1');
    expect(dropSensitiveText('Reset at https://x.example/r?token=T.')).toBe('Reset at https://x.example/r.');
  });

  it('keeps ordinary text', () => {
    for (const text of ['Pricing — Leadbeam', 'spring_sale_2026', 'Order 123456789012 confirmed', 'Trial Started', 'whitepaper', 'linkedin', 'cpc', 'v1.2.3', '2026-11-29T08:55:20Z'])
      expect(dropSensitiveText(text), text).toBe(text);
  });
});

describe('dropSensitiveUrlText', () => {
  it('strips a referrer as a URL and drops a text that is no URL and holds a card number', () => {
    expect(dropSensitiveUrlText('https://a.example/order/42?q=5555555555554444&from=blog')).toBe('https://a.example/order/42?from=blog');
    expect(dropSensitiveUrlText('www.a.example/?token=T&x=1')).toBe('www.a.example/?x=1');
    expect(dropSensitiveUrlText('android-app://com.google.android.gm/')).toBe('android-app://com.google.android.gm/');
    expect(dropSensitiveUrlText('not a link 4111 1111 1111 1111')).toBeUndefined();
  });
});

describe('idLooksSensitive', () => {
  it('is true for an id that is a card or social security number, in any spelling, or carries one on its own', () => {
    for (const id of ['4111111111111111', '5555555555554444', '4111-1111-1111-1111', '4111 1111 1111 1111', '378282246310005', '123-45-6789', '123456789', 'v_4111111111111111', 'card-4111_1111_1111_1111', 'ssn 123-45-6789'])
      expect(idLooksSensitive(id), id).toBe(true);
  });

  it('is false for ids with letters around their digits, dates and numbers that are no card', () => {
    for (const id of ['v_1234567890123456', 'k2j3h4l5m6n7p8q9', 'a4111111111111111b', '20260101-120000-000001', '12345678-1234-4123-8123-123456789012', 'v_0123456789ab', 'session-2026-11-29'])
      expect(idLooksSensitive(id), id).toBe(false);
  });

  it('never refuses a random id: the script’s (base 36), hex, base64url or a UUID', () => {
    const ids = fc.oneof(
      randomIds.script,
      // 20 hex characters and more: a shorter hex id is all digits about once in 700 (7 bytes),
      // and then card-shaped whatever made it; no id this product or its peers send is that short.
      fc.integer({ min: 10, max: 32 }).chain(randomBytes).map((b) => Buffer.from(b).toString('hex')),
      fc.integer({ min: 6, max: 48 }).chain(randomBytes).map((b) => Buffer.from(b).toString('base64url')),
      randomIds.uuid,
      randomBytes(12).map((b) => 'v_' + Buffer.from(b).toString('hex')),
    );
    fc.assert(fc.property(ids, (id) => !idLooksSensitive(id)), { numRuns: 20_000 });
  });
});

describe('stripSecretParams on random ids', () => {
  it('never changes a URL for the random ids in it: the script’s, base64url, and click ids (hex, UUIDs)', () => {
    fc.assert(
      fc.property(randomIds.script, randomIds.base64url, randomIds.hex32, randomIds.uuid, randomIds.base64url, (visitor, ref, msclkid, liFatId, gclid) => {
        const url = `https://a.example/p?vid=${visitor}&ref=${ref}&order=${msclkid.length}0421337&msclkid=${msclkid}&li_fat_id=${liFatId}&gclid=${gclid}&utm_campaign=spring_sale_2026#/r&sid2=${visitor}`;
        return stripSecretParams(url) === url;
      }),
      { numRuns: 20_000, endOnFailure: true },
    );
  });
});
