/**
 * What must never leave the browser. The rules follow PostHog's, which have years of real
 * forms behind them; the ingest applies the value rule again, in case a site sends such a
 * value itself.
 */

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
 * True for a value that could be a payment card number (13 to 19 digits in groups) or a US
 * social security number (123-45-6789). No Luhn check: a rare long phone number written with
 * "00" in front is dropped too, and privacy wins that trade.
 *
 * @example
 * looksSensitive('4111 1111 1111 1111') // true
 * looksSensitive('+44 20 7946 0000')    // false
 */
export function looksSensitive(value: string): boolean {
  return /^\d{3}-?\d{2}-?\d{4}$|^\d{13,19}$/.test(value.replace(/[ -](?=\d{4})/g, ''));
}

/**
 * Returns a copy without the string values that look sensitive.
 *
 * @example
 * dropSensitiveValues({ note: '4111111111111111', plan: 'pro' }) // { plan: 'pro' }
 */
export function dropSensitiveValues<T extends object>(values: T): T {
  const out = {} as T;
  for (const key in values) {
    const v = values[key];
    if (!(typeof v == 'string' && looksSensitive(v))) out[key] = v;
  }
  return out;
}
