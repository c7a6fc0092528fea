/**
 * Whether a text, trimmed and in any case, is shaped as an email address: a local part, `@`,
 * and a domain with a top-level label of two letters or more. The ingest's lead emails
 * (`normaliseEmail`) and its sensitive-value rule (`looksSensitiveValue`) share this shape.
 *
 * @example
 * isEmailAddress(' Ana.Kovac@Fernhill.Example ') // true
 * isEmailAddress('a@b')                          // false
 */
export function isEmailAddress(text: string): boolean {
  const email = text.trim().toLowerCase();
  return email.length <= 254 && /^[^\s@"(),:;<>[\]\\]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$/.test(email);
}
