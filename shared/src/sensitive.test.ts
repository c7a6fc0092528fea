import { describe, expect, it } from 'vitest';
import { dropSensitiveProps, dropSensitiveTraits, dropSensitiveValues, emailLooksSensitive, isSecretName, isSensitivePropName, looksSensitive, looksSensitiveValue, stripSecretParams } from './sensitive.js';

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
    // 936109660334671 passes the card checksum; as any other text it would be dropped.
    expect(looksSensitiveValue('rs-a1bfcd3af936109660334671@fernhill.example')).toBe(true);
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
