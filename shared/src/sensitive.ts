/**
 * What must never leave the browser, nor be stored. The form rules follow PostHog's, which
 * have years of real forms behind them; the ingest applies the value rule again, in case a
 * site sends such a value itself, and strips secrets from URLs and properties (older scripts
 * send `location.href` whole). Pure functions: the script imports the form rules.
 */
import { isEmailAddress } from './emailAddress.js';

/**
 * Field names, ids and autocomplete tokens that hold secrets or payment data: PostHog's
 * list, folded (`card` covers cardnum and creditcard, `secur` securitycode and securitynum).
 */
export const SENSITIVE_NAME = /\bcc|card|cv[cv]|csc|exp|pass|pwd|routing|sec(code|ur)|soc(ial)?sec|ssn|iban/i;

/**
 * The only field types ever read: text a person typed or chose. Passwords, hidden fields,
 * files, checkboxes and radio buttons are never read.
 */
export const READABLE_TYPES = /^(text|email|tel|number|textarea|select-one)$/;

/**
 * True for text that is, as a whole, a payment card number (13 to 19 digits in groups) or a
 * US social security number (123-45-6789). No Luhn check: a rare long phone number written
 * with "00" in front is dropped too, and privacy wins that trade. The script carries this one,
 * so it stays this small; `looksSensitiveValue` (the ingest's) also finds such numbers inside
 * text, with more separators, and numbers sent as such.
 *
 * @example
 * looksSensitive('4111 1111 1111 1111') // true
 * looksSensitive('+44 20 7946 0000')    // false
 */
export function looksSensitive(value: string): boolean {
  return /^\d{3}-?\d{2}-?\d{4}$|^\d{13,19}$/.test(value.replace(/[ -](?=\d{4})/g, ''));
}

/**
 * Digits in groups, as a card or social security number is written inside text: a digit, then
 * digits after at most one separator each (space, dot, dash, underscore or slash).
 */
const DIGIT_RUN = /\d(?:[ ._/-]?\d)*/g;

/** Invisible characters a number may hide behind: zero-width space and joiners, word joiner, soft hyphen, byte-order mark. */
const INVISIBLE = /[\u00ad\u200b-\u200d\u2060\ufeff]/g;
/**
 * Dashes that are not the ASCII one: hyphens, en and em dashes, minus signs (word processors and
 * phones put them in), the Japanese long-vowel mark and middle dot an IME gives, bullets.
 */
const DASHES = /[\u2010-\u2015\u2212\ufe58\ufe63\uff0d\u30fc\u30fb\u2022\u2219\u00b7]/g;
/** A decimal digit of any script (full-width, Arabic-Indic, Devanagari…). */
const ANY_DIGIT = /\p{Nd}/gu;

/**
 * A digit of any script as its ASCII digit. Unicode keeps each script's digits 0 to 9 in a row,
 * and rows that touch (mathematical digits) each hold all ten: the value is the distance from
 * the first digit of the block, modulo 10.
 */
function asciiDigit(digit: string): string {
  let value = digitValues.get(digit);
  if (value === undefined) {
    const cp = digit.codePointAt(0)!;
    let first = cp;
    while (/\p{Nd}/u.test(String.fromCodePoint(first - 1))) first--;
    digitValues.set(digit, (value = String((cp - first) % 10)));
  }
  return value;
}
/** Each digit's value once found: at most the few hundred digits Unicode has. */
const digitValues = new Map<string, string>();

/**
 * A text as its digits are read by the rules below: digits of any script as ASCII digits
 * (`４１１１`, `٤١１１`), any dash as `-` (a dash with spaces around it too: `4111 - 1111`),
 * invisible characters removed, and any run of white space as one space. Brackets, commas and
 * plus signs still break a number: phone numbers (`+44 (0)20 7946 0006`) and lists of years
 * (`2017, 2018, 2019, 2020`) are written with them far more often than cards. Only for reading:
 * what is stored is the text as sent.
 */
function readDigits(text: string): string {
  // ASCII text (nearly all of it) skips Unicode normalisation.
  const plain = /[^\x00-\x7f]/.test(text) ? text.normalize('NFKC').replace(INVISIBLE, '').replace(DASHES, '-').replace(ANY_DIGIT, (d) => (d <= '9' ? d : asciiDigit(d))) : text;
  return plain.replace(/\s+/g, ' ').replace(/(\d) ?- ?(?=\d)/g, '$1-');
}

/**
 * A payment card's number: 13 to 19 digits, opening as the card networks' do (Mastercard's 2221
 * to 2720 and 51 to 55; American Express, Diners and JCB: 30, 34 to 39; Visa: 4; Maestro,
 * Discover and UnionPay: 5 and 6), passing the Luhn check. A millisecond timestamp (17…), an
 * order number opening with 1, 7, 8, 9 or 0, and years written one after another (`2023 2024 …`,
 * `1999-2000 …`: no network issues numbers opening 20 or 19) are none, whatever their checksum:
 * one in ten of those would otherwise read as a card.
 */
const isCardNumber = (digits: string) => {
  if (digits.length < 13 || digits.length > 19 || !passesLuhn(digits)) return false;
  const first = digits[0]!;
  if (first === '2') return +digits.slice(0, 4) >= 2221 && +digits.slice(0, 4) <= 2720;
  if (first === '3') return digits[1] === '0' || digits[1]! >= '4';
  return first >= '4' && first <= '6';
};

/** The Luhn checksum every payment card number passes, and 9 in 10 other digit strings fail. */
function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = +digits[digits.length - 1 - i]!;
    if (i % 2 && (d *= 2) > 9) d -= 9;
    sum += d;
  }
  return sum % 10 == 0;
}

/**
 * True when a run of digit groups holds, written with one separator throughout (or none), a
 * Luhn-valid card number of 13 to 19 digits, or a social security number as 123-45-6789
 * (dashes, spaces, dots, underscores or slashes). Groups of four digits join whatever separates
 * them (`4111 1111-1111 1111`, as a card is typed by hand); other groups only join across the
 * same separator, so a date range's "-" and "/" never make one number. With `maxGroup`, a
 * number written in groups only joins groups of at most that many digits (a card is written
 * 4-4-4-4 or 4-6-5, never with a group of 8 or 12 as a UUID has).
 */
function runHoldsSensitive(run: string, maxGroup = 19): boolean {
  const groups = run.split(/[ ._/-]/);
  const seps = run.match(/[ ._/-]/g) ?? [];
  for (let i = 0; i < groups.length; i++) {
    let digits = '';
    let fours = true;
    for (let j = i; j < groups.length && digits.length < 19; j++) {
      fours &&= groups[j]!.length == 4;
      if (j > i && ((seps[j - 1] != seps[i] && !fours) || Math.max(groups[i]!.length, groups[j]!.length) > maxGroup)) break;
      digits += groups[j];
      if (isCardNumber(digits)) return true;
      if (j == i + 2 && groups[i]!.length == 3 && groups[i + 1]!.length == 2 && groups[j]!.length == 4) return true;
    }
  }
  return false;
}

/**
 * `looksSensitive` for any JSON value, as the ingest checks what scripts send, and anywhere in
 * a text: a Luhn-valid card number of 13 to 19 digits, whole or in groups separated by spaces,
 * dots, dashes, underscores or slashes (`card 4111_1111_1111_1111 `), or a social security
 * number grouped 3-2-4 (`SSN 123 45 6789`); an integer by its digits (4111111111111111), and a
 * text or integer of exactly nine digits (123456789). Long ids that fail the Luhn check stay,
 * and so does a 13-digit integer starting 1 to 3: that is a time in milliseconds (`Date.now()`).
 *
 * @example
 * looksSensitiveValue('card 4111 1111 1111 1111') // true
 * looksSensitiveValue('123 45 6789')    // true
 * looksSensitiveValue(4111111111111111) // true
 * looksSensitiveValue('1234567890123456') // false: fails Luhn
 * looksSensitiveValue(1718000000000)    // false
 */
export function looksSensitiveValue(value: unknown): boolean {
  if (typeof value == 'string') {
    // Any run of white space (tabs, two spaces, a no-break space) separates groups as one space does.
    const text = readDigits(value);
    return /^\s*\d{3}[ .-]?\d{2}[ .-]?\d{4}\s*$/.test(text) || (text.match(DIGIT_RUN) ?? []).some((run) => runHoldsSensitive(run));
  }
  return Number.isInteger(value) && !/^[1-3]\d{12}$/.test(String(value)) && looksSensitiveValue(String(value));
}

/** Digit runs standing on their own: not glued to a letter or digit on either side. */
const FREE_DIGIT_RUN = /(?<![a-z\d])\d(?:[ ._/-]?\d)*(?![a-z\d])/gi;

/**
 * `looksSensitiveValue` for the email a form or `identify` gives. An address names the person,
 * and dropping it silently loses the lead, so a digit run glued to letters (a generated id such
 * as `rs-a1bf…af936109660334671@…`, where a Luhn-valid run hides by chance) is part of a name,
 * not a card. A card or social security number standing on its own in the address
 * (`4111111111111111@x.co`, `card-4111_1111_1111_1111@pay.example`) still drops it, as does any
 * value that is not an address at all.
 *
 * @example
 * emailLooksSensitive('rs-a1bfcd3af936109660334671@fernhill.example') // false
 * emailLooksSensitive('4111-1111-1111-1111@x.co')                     // true
 */
export function emailLooksSensitive(value: unknown): boolean {
  if (typeof value != 'string' || !isEmailAddress(value)) return looksSensitiveValue(value);
  const text = readDigits(value);
  return /^\s*\d{3}[ .-]?\d{2}[ .-]?\d{4}@/.test(text) || (text.match(FREE_DIGIT_RUN) ?? []).some((run) => runHoldsSensitive(run));
}

/**
 * True for an id (`visitorId`, `sessionId`, an event's `id`) that is a card or social security
 * number, in any spelling (`4111111111111111`, `4111-1111-1111-1111`, `123-45-6789`,
 * `123456789`), or carries one standing on its own (`v_4111111111111111`). Random ids never
 * match: digits glued to letters are part of the id (the script's base-36 ids, hex, base64url),
 * and a number in groups joins groups of at most 7 digits (a UUID's 8-4-4-4-12 is no card).
 *
 * @example
 * idLooksSensitive('4111111111111111')  // true
 * idLooksSensitive('k2j3h4l5m6n7p8q9')  // false
 */
export function idLooksSensitive(id: string): boolean {
  const text = readDigits(id);
  return /^\s*\d{3}[ .-]?\d{2}[ .-]?\d{4}\s*$/.test(text) || (text.match(FREE_DIGIT_RUN) ?? []).some((run) => runHoldsSensitive(run, 7));
}

/**
 * Traits without the values that look sensitive (`looksSensitiveValue`); the email by
 * `emailLooksSensitive`, so an address is kept unless it carries a card or social security
 * number of its own.
 *
 * @example
 * dropSensitiveTraits({ email: 'rs-a1bfcd3af936109660334671@fernhill.example', phone: '4111 1111 1111 1111' })
 * // { email: 'rs-a1bfcd3af936109660334671@fernhill.example' }
 */
export function dropSensitiveTraits<T extends { email?: unknown }>(traits: T): T {
  const { email, ...rest } = traits;
  const kept = dropSensitiveValues(rest) as T;
  // Text loses secrets as a property value does (`https://x.example/?token=…`, `password=…`).
  for (const key in kept) if (typeof kept[key] === 'string') (kept as Record<string, unknown>)[key] = stripSecretsInText(kept[key] as string);
  if (email !== undefined && !emailLooksSensitive(email)) kept.email = email;
  return kept;
}

/**
 * Returns a copy without the values that look sensitive: text, and integers by their digits.
 *
 * @example
 * dropSensitiveValues({ note: '4111111111111111', plan: 'pro' }) // { plan: 'pro' }
 */
export function dropSensitiveValues<T extends object>(values: T): T {
  const out = {} as T;
  for (const key in values) {
    const v = values[key];
    if (!looksSensitiveValue(v)) out[key] = v;
  }
  return out;
}

/**
 * Words that name a credential, matched against each word of a name (`apiKey`, `api-key` and
 * `API_KEY` all read "api key"). Short words only match whole, so `signup`, `design`, `side`
 * and `passenger` stay.
 */
const SECRET_WORD =
  /^(pass(wd|word|code|phrase)?|pwd?|pin|token|jwt|bearer|secret|auth|authori[sz]ation|credentials?|sig|signature|hmac|session|sid|otp|totp|mfa|cvv2?|cvc|csc|ccv|cc|card|iban|ssn)$/;

/**
 * The same for compounds written as one word (`x-api-key` → xapikey, `PHPSESSID`,
 * `refresh_token`, `ccnum`, `cardNumber`, `creditcard`, `social_security_number`); `key`,
 * `code` (OAuth) and `ticket` (CAS) only as the whole name, so `country_code` and `sort_key`
 * stay, and card words only at the start or after credit/debit, so `scorecard` stays.
 */
const SECRET_COMPACT =
  /passw|secret|token|apikey|accesskey|privatekey|sessid|sessionid|signature|credential|verifier|^(key|code|ticket)$|^cc(num|no|exp|cv|sec|code)|^card(num|no|holder|exp|cv|sec|code|pin)|(credit|debit)card|soc(ial)?sec/;

/** Campaign parameters and ad click ids: attribution needs them, and they are never secrets. */
const CAMPAIGN_PARAM = /^(utm_\w+|gclid|gbraid|wbraid|dclid|fbclid|msclkid|li_fat_id|ttclid)$/i;

/** Ad click ids: random ids (hex, a UUID, base64), judged as ids (`idLooksSensitive`). */
export const CLICK_ID_PARAM = /^(gclid|gbraid|wbraid|dclid|fbclid|msclkid|li_fat_id|ttclid)$/i;

/**
 * True for a parameter or property name that looks like it holds a secret: a password,
 * token, key, signature, session id, one-time code and the like, or a card or social
 * security number (`ccnum`, `card_number`, `ssn`).
 *
 * @example
 * isSecretName('x-api-key')   // true
 * isSecretName('auth_token')  // true
 * isSecretName('cardnumber')  // true
 * isSecretName('utm_source')  // false
 * isSecretName('country_code') // false
 */
export function isSecretName(name: string): boolean {
  if (CAMPAIGN_PARAM.test(name)) return false;
  const words = wordsOf(name);
  return words.some((word) => SECRET_WORD.test(word)) || SECRET_COMPACT.test(words.join(''));
}

/** A name's words, lowercased: `apiKey`, `api-key` and `API_KEY` all give ['api', 'key']. */
const wordsOf = (name: string) =>
  name
    .replace(/([a-z\d])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z\d]+/);

/**
 * `SENSITIVE_NAME` for property names, without its bare `exp`, which (as the form rules read
 * names anywhere) also drops `export`, `expires` and `experience`: an expiry is a word of its
 * own, or one with a date part (exp, expiry, expiration, exp_date, expMonth, expyear;
 * `card_exp` and `cc-exp` go as card names).
 */
const SENSITIVE_PROP_NAME = /\bcc|card|cv[cv]|csc|pass|pwd|routing|sec(code|ur)|soc(ial)?sec|ssn|iban/i;
const EXPIRY_WORD = /^exp(iry|iration)?(date|month|mon|mo|year|yr|mm|yy|yyyy)?$/;

/**
 * True for a property name the ingest never stores: a payment field's (card, cc, cvv, expiry,
 * pass, iban, ssn, routing, security) or a secret's (`isSecretName`).
 *
 * @example
 * isSensitivePropName('exp_month') // true
 * isSensitivePropName('export')    // false
 */
export function isSensitivePropName(name: string): boolean {
  return SENSITIVE_PROP_NAME.test(name) || wordsOf(name).some((word) => EXPIRY_WORD.test(word)) || isSecretName(name);
}

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/** A text that reads as a URL, or as a path or query of one: `https://…`, `/reset?…`, `?token=…`, `#access_token=…`. */
const URL_LIKE = /^([a-z][\w+.-]*:\/\/|\.{0,2}\/|[?#])/i;

/**
 * How many URLs deep a parameter that is itself a URL is read (`?redirect=https%3A%2F%2F…%3Fnext%3D…`).
 * A URL nested deeper, if it has parameters, is dropped: what was not read is not kept.
 */
const MAX_URL_DEPTH = 4;

/** How many more times a parameter value is decoded to find a URL encoded twice over (`https%253A%252F…`). */
const MAX_EXTRA_DECODES = 2;

/**
 * `looksSensitiveValue` for a URL parameter's value: a card number anywhere in it, or a social
 * security number written in groups (123-45-6789); nine bare digits are an id or an order
 * number in a URL (`?p=123456789`), not taken for a social security number.
 */
const paramValueLooksSensitive = (value: string) => {
  const text = readDigits(value);
  return /^\s*\d{3}[ .-]\d{2}[ .-]\d{4}\s*$/.test(text) || (text.match(DIGIT_RUN) ?? []).some((run) => runHoldsSensitive(run));
};

/**
 * One `name=value` pair as stored: undefined when it goes (a secret name, or a value that holds
 * a card or social security number, however encoded), the same text when it stays, or the pair
 * with its value stripped when the value is a URL that held secrets.
 */
function cleanPair(pair: string, depth: number): string | undefined {
  const eq = pair.indexOf('=');
  const name = eq < 0 ? pair : pair.slice(0, eq);
  const decodedName = decodeName(name);
  if (isSecretName(decodedName)) return undefined;
  if (eq < 0) return pair;
  const raw = pair.slice(eq + 1);
  const sensitive = CLICK_ID_PARAM.test(decodedName) ? idLooksSensitive : paramValueLooksSensitive;
  let value = decodeName(raw);
  if (sensitive(value)) return undefined;
  for (let i = 0; i < MAX_EXTRA_DECODES && !URL_LIKE.test(value) && /%[\da-f]{2}/i.test(value); i++) {
    value = decodeName(value);
    if (sensitive(value)) return undefined;
  }
  // A value that is itself a query or cookie with a secret (`?utm_term=password%3DX`) goes too.
  if (!URL_LIKE.test(value)) return holdsSecretPair(value, depth, CAMPAIGN_PARAM.test(decodedName)) ? undefined : pair;
  if (depth >= MAX_URL_DEPTH) return /[?#;@]/.test(value) ? undefined : pair;
  const stripped = stripUrl(value, depth + 1);
  if (stripped === value) return pair;
  // Written back as it came: as is when it was not encoded, else encoded once.
  return `${name}=${raw === value ? stripped : encodeURIComponent(stripped)}`;
}

/**
 * `a=1&b=2;c=3` without the pairs that go (`cleanPair`), the others left as they were written
 * (`&` and `;` both separate pairs); undefined when nothing changed.
 */
function dropSecretPairs(params: string, depth: number): string | undefined {
  const parts = params.split(/([&;])/);
  let kept: string | undefined;
  let changed = false;
  for (let i = 0; i < parts.length; i += 2) {
    const pair = parts[i]!;
    const clean = cleanPair(pair, depth);
    if (clean !== pair) changed = true;
    if (clean !== undefined) kept = kept === undefined ? clean : kept + parts[i - 1] + clean;
  }
  return changed ? (kept ?? '') : undefined;
}

/** A path without its secret path parameters: `/p;jsessionid=ABC;v=2` → `/p;v=2`. */
const dropSecretPathParams = (path: string, depth: number) =>
  path.replace(/;([^;/]*)/g, (_param, pair: string) => {
    const kept = cleanPair(pair, depth);
    return kept === undefined ? '' : `;${kept}`;
  });

/** What a path segment holding a card or social security number is stored as. */
export const REDACTED_SEGMENT = '[redacted]';

/**
 * A URL or path without card or social security numbers in its path: a segment that holds one,
 * as written or percent-encoded (`/orders/4111111111111111/receipt`, `/u/123-45-6789`), becomes
 * `[redacted]`. Everything else stays as written, so pages still group by path.
 */
function redactPathNumbers(url: string): string {
  // The scheme and authority stay as they are: a host or port is no card number.
  const authority = /^[a-z][\w+.-]*:\/\/[^/]*/i.exec(url)?.[0] ?? '';
  const segments = url.slice(authority.length).split('/');
  let changed = false;
  for (let i = 0; i < segments.length; i++) {
    // Digits of any script, written as such or percent-encoded (`%EF%BC%94` is a full-width 4).
    if (!/\p{Nd}|%/u.test(segments[i]!) || !paramValueLooksSensitive(decodeName(segments[i]!))) continue;
    segments[i] = REDACTED_SEGMENT;
    changed = true;
  }
  // Segments are judged one by one: digit segments side by side (dates, ids: `/2024/06/25/448400`,
  // `/c/2491/9537/9595/4611`) never join into one number.
  return changed ? authority + segments.join('/') : url;
}

/** `before`, then `sep` and the params, or `before` alone when no params are left. */
const rejoin = (before: string, sep: string, params: string) => (params ? before + sep + params : before);

/**
 * A fragment without its secret parameters: all of it when it is parameters (`#access_token=…&state=1`);
 * for a hash route, the pairs after the route (`#/reset&token=…`, `#/p;sid=…`) and its query
 * (`#/reset?token=…`). Undefined when nothing is left of parameters that were all of it.
 */
function stripFragment(hash: string, depth: number): string | undefined {
  if (/^[^/=]+=/.test(hash)) {
    const params = dropSecretPairs(hash, depth);
    return params === undefined ? hash : params || undefined;
  }
  const queryAt = hash.indexOf('?');
  let route = queryAt < 0 ? hash : hash.slice(0, queryAt);
  const pairsAt = route.search(/[&;]/);
  if (pairsAt >= 0) {
    const params = dropSecretPairs(route.slice(pairsAt + 1), depth);
    if (params !== undefined) route = rejoin(route.slice(0, pairsAt), route[pairsAt]!, params);
  }
  // A hash route's path is a page's path (`#/orders/4111111111111111`): its segments are redacted alike.
  route = redactPathNumbers(route);
  if (queryAt < 0) return route;
  const query = hash.slice(queryAt + 1);
  const params = dropSecretPairs(query, depth);
  return params === undefined ? `${route}?${query}` : rejoin(route, '?', params);
}

/**
 * Removes what a URL must never carry into storage: query parameters with a secret or payment
 * name (`?password=`, `?token=`, `?api_key=`, OAuth's `?code=`, `?ccnum=` …) or whose value
 * holds a card or social security number (`?note=4111111111111111`), separated by `&` or `;`;
 * the same in a fragment that holds parameters (OAuth's `#access_token=…`, a hash route's
 * `#/reset?token=…` or `#/reset&token=…`), path parameters (Java's `;jsessionid=…`), and a
 * `user:password@` part, and card or social security numbers in the path or a hash route's path
 * (each segment holding one becomes `[redacted]`). A parameter whose value is itself a URL (`?redirect=https%3A%2F%2F…`)
 * is stripped the same way, up to 4 URLs deep. UTM parameters and click ids keep their name's
 * pass (never a card number in their value), and everything else stays exactly as written, in
 * order. Works on relative and unparseable text: only `?`, `#`, `;` and `&` are read.
 *
 * @example
 * stripSecretParams('https://a.example/p?utm_source=x&token=s3cret#k') // 'https://a.example/p?utm_source=x#k'
 * stripSecretParams('https://a.example/cb#access_token=abc&state=1')   // 'https://a.example/cb#state=1'
 * stripSecretParams('https://a.example/p;jsessionid=ABC?a=1;sid=S')     // 'https://a.example/p?a=1'
 * stripSecretParams('https://a.example/?note=4111111111111111&a=1')     // 'https://a.example/?a=1'
 * stripSecretParams('https://a.example/orders/4111111111111111/receipt') // 'https://a.example/orders/[redacted]/receipt'
 */
export function stripSecretParams(url: string): string {
  return stripUrl(url, 0);
}

/**
 * A URL's `user:password@`. Browsers also read `https:user:pw@host` and `https:\\user:pw@host` as
 * a user and password for the web's schemes, so those spellings count too (`mailto:ana@…` is no
 * user).
 */
export const USERINFO = /^([a-z][\w+.-]*:\/\/|(?:https?|wss?|ftp):[/\\]*)[^/\\?#@]*@/i;

function stripUrl(url: string, depth: number): string {
  const hashAt = url.indexOf('#');
  let main = hashAt < 0 ? url : url.slice(0, hashAt);
  const hash = hashAt < 0 ? undefined : stripFragment(url.slice(hashAt + 1), depth);

  main = main.replace(USERINFO, '$1');
  const queryAt = main.indexOf('?');
  const path = redactPathNumbers(dropSecretPathParams(queryAt < 0 ? main : main.slice(0, queryAt), depth));
  if (queryAt < 0) main = path;
  else {
    const query = main.slice(queryAt + 1);
    const kept = dropSecretPairs(query, depth);
    main = kept === undefined ? `${path}?${query}` : rejoin(path, '?', kept);
  }
  return hash === undefined ? main : `${main}#${hash}`;
}

/**
 * An absolute URL inside a text ("see https://…/reset?token=…", or "www.…/reset?token=…"
 * without its scheme), up to white space or a quote.
 * The scheme's length is bounded: unbounded, each word of a long text without `://` was read to
 * its end (`a.a.a.…`: seconds for 30 KB, the server frozen meanwhile).
 */
const URL_IN_TEXT = /\b(?:[a-z][\w+.-]{0,31}:\/\/|www\.)[^\s"'<>]+/gi;

/** A URL found in a text, without its secrets; a sentence's full stop or a closing bracket after it is not part of it. */
function stripUrlInText(url: string): string {
  const end = /[.,;:!?)\]]+$/.exec(url)?.[0] ?? '';
  return stripSecretParams(url.slice(0, url.length - end.length)) + end;
}

/** Nesting beyond this is dropped: the ingest refuses deeper events anyway (`MAX_NESTING`). */
const MAX_DEPTH = 32;

/** One value as stored: undefined when it is dropped. Objects and arrays are cleaned inside. */
function cleanValue(value: unknown, depth: number): unknown {
  if (looksSensitiveValue(value)) return undefined;
  if (typeof value == 'string') return stripSecretsInText(value);
  if (depth > MAX_DEPTH) return undefined;
  if (Array.isArray(value)) return value.map((v) => cleanValue(v, depth + 1)).filter((v) => v !== undefined);
  // A Date keeps its JSON form; any other object (parsed JSON may carry a key named toJSON) is cleaned inside.
  if (value && typeof value == 'object' && !(value instanceof Date)) return dropNested(value as Record<string, unknown>, depth + 1);
  return value;
}

function dropNested(props: Record<string, unknown>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(props)) {
    // A name can carry a number as well as a value can (`{"4111 1111 1111 1111": "x"}`); nine
    // bare digits are an id there (a map keyed by product ids), as in a URL.
    if (isSensitivePropName(key) || paramValueLooksSensitive(key)) continue;
    const kept = cleanValue(value, depth);
    if (kept !== undefined) out[key] = kept;
  }
  return out;
}

/**
 * Properties as the ingest stores them, at every depth of nested objects and arrays: without
 * names that look sensitive (`isSensitivePropName`), without values that look like card or
 * social security numbers (`looksSensitiveValue`), and with secret parameters stripped from
 * values that read as a URL, a path or a query (`/reset?token=…`, `?token=…`).
 *
 * @example
 * dropSensitiveProps({ plan: 'pro', apiKey: 'k', cvv: 123, note: 4111111111111111 }) // { plan: 'pro' }
 * dropSensitiveProps({ meta: { token: 't', step: 2 }, back: '/reset?token=t&x=1' })   // { meta: { step: 2 }, back: '/reset?x=1' }
 */
export function dropSensitiveProps<T extends Record<string, unknown>>(props: T): T {
  return dropNested(props, 0) as T;
}

/**
 * A free text as the ingest stores it (a title, an event or form name, a category, a campaign
 * field), by the rule properties follow: undefined when it holds a card or social security
 * number anywhere (`looksSensitiveValue`: the field is dropped, as a property value is); a
 * text that reads as a URL or a query, and URLs inside a text, lose their secret parameters.
 *
 * @example
 * dropSensitiveText('Card 4111 1111 1111 1111')          // undefined
 * dropSensitiveText('https://x.example/?token=T&a=1')    // 'https://x.example/?a=1'
 * dropSensitiveText('spring_sale_2026')                  // 'spring_sale_2026'
 */
export function dropSensitiveText(text: string): string | undefined {
  return looksSensitiveValue(text) ? undefined : stripSecretsInText(text);
}

/**
 * A text without secret parameters: all of it when it reads as a URL, a path or a query
 * (`stripSecretParams`), else each URL inside it.
 *
 * @example
 * stripSecretsInText('see https://a.example/r?token=T&x=1.') // 'see https://a.example/r?x=1.'
 */
export function stripSecretsInText(text: string): string {
  if (URL_LIKE.test(text)) return stripSecretParams(text);
  // A relative URL (`reset?token=…`) keeps a full stop or closing quote after it, as a URL in text does.
  if (WORD_WITH_QUERY.test(text)) return stripUrlInText(text);
  if (BARE_PAIRS.test(text)) return dropSecretPairs(text.replace(/[ \t\r]*[,\n][ \t\r]*/g, '&'), 0) ?? text;
  return redactSecretHeaders(text.replace(URL_IN_TEXT, stripUrlInText));
}

/**
 * One word with a query or fragment after it, no space or quote anywhere: a relative URL
 * (`reset?token=…`). No `=` before the query's first one, so the pattern reads in linear time.
 */
const WORD_WITH_QUERY = /^[^\s?#"'<>]+[?#][^\s=]*=\S*$/;
/**
 * A whole text of `name=value` pairs joined by `&`, `;`, `,` or line breaks: a bare query
 * (`a=1&password=…`) or a cookie (`sid=…; theme=dark`). Names up to 200 characters (some
 * cookies' names are long).
 */
const BARE_PAIRS = /^\s*[^\s=&;,"'?/:<>]{1,200}=[^\s&;,]*([ \t\r]*[&;,\n][ \t\r]*[^\s=&;,"'?/:<>]{1,200}=[^\s&;,]*)*\s*$/;
/** One header line: `X-Api-Key: abc123`, `Authorization: Bearer …`, `Cookie: sid=…`. */
const HEADER_LINE = /^(\s*([A-Za-z][\w-]{0,63})\s*:\s*)(\S.*)$/;
/** A header value that is a credential: one token with a digit or of 16 characters or more, or a scheme and one token. */
const CREDENTIAL = /^(?:(?:bearer|basic|token|digest)\s+\S+|(?=\S{0,200}\d)\S+|\S{16,})$/i;
/** A bearer token as an `Authorization` header carries it: long, with a digit (`bearer instruments` is prose). */
const BEARER = /\b(bearer\s+)(?=[\w.~+/-]{0,200}\d)[\w.~+/-]{16,}=*/gi;

/**
 * A text with credentials as HTTP carries them redacted: a bearer token anywhere, and, line by
 * line, the value of a header with a secret's name when it reads as a credential
 * (`X-Api-Key: 0123…`, `Authorization: Basic …`, not `Session: Opening keynote`), and the secret
 * pairs of a `Cookie` or `Set-Cookie` line.
 */
function redactSecretHeaders(text: string): string {
  const out = /bearer/i.test(text) ? text.replace(BEARER, (_all, scheme: string) => `${scheme}${REDACTED_SEGMENT}`) : text;
  if (!out.includes(':')) return out;
  return out
    .split('\n')
    .map((line) => {
      // A header dump's lines end in CR LF: the CR stays where it was.
      const cr = line.endsWith('\r') ? '\r' : '';
      const header = HEADER_LINE.exec(cr ? line.slice(0, -1) : line);
      if (!header) return line;
      const [, head, name] = header as unknown as [string, string, string];
      const value = header[3]!.trimEnd();
      if (/^(set-)?cookie$/i.test(name)) return BARE_PAIRS.test(value) ? head + (dropSecretPairs(value, 0) ?? value).trim() + cr : line;
      return isSecretName(name) && CREDENTIAL.test(value) ? head + REDACTED_SEGMENT + cr : line;
    })
    .join('\n');
}

/**
 * Names a campaign parameter's value may hold without being a secret (`utm_content=code=SUMMER`,
 * `utm_term=key=value`): only a strong secret name (a password, token, API key…) there drops it.
 */
const WEAK_SECRET_NAME = /^(key|code|ticket|pin|sig|sid|session)$/i;

/**
 * True when a parameter's value is itself a query or cookie holding a secret (`?utm_term=password%3DX`): the parameter goes.
 * In a campaign parameter, only a strong secret name counts.
 */
const holdsSecretPair = (value: string, depth: number, campaign: boolean) =>
  BARE_PAIRS.test(value) &&
  (campaign
    ? value.split(/[&;,\n]/).some((pair) => {
        const name = pair.slice(0, pair.indexOf('=')).trim();
        return isSecretName(name) && !WEAK_SECRET_NAME.test(name);
      })
    : depth >= MAX_URL_DEPTH || dropSecretPairs(value, depth + 1) !== undefined);

/**
 * A field meant to hold a URL (a referrer) as the ingest stores it: without its secret
 * parameters (`stripSecretParams`); a URL, path or query keeps its path as sent, as a page
 * URL does, and any other text holding a card or social security number is dropped.
 *
 * @example
 * dropSensitiveUrlText('https://a.example/?q=4111111111111111&from=blog') // 'https://a.example/?from=blog'
 * dropSensitiveUrlText('www.a.example/?token=T')                          // 'www.a.example/'
 * dropSensitiveUrlText('card 4111 1111 1111 1111')                        // undefined
 */
export function dropSensitiveUrlText(text: string): string | undefined {
  return URL_LIKE.test(text) || !looksSensitiveValue(text) ? stripSecretParams(text) : undefined;
}
