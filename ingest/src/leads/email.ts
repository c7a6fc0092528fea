import { isEmailAddress } from '../../../shared/src/emailAddress.js';

/** Addresses people type into forms to get past them: never a lead. */
const JUNK = /^(test|example|none|null|undefined|asdf|noreply|no-reply)@|@(test|example)\.(com|org|net)$|@localhost$/i;

/**
 * The email a lead is known by: trimmed and lowercased (the local part too: mail providers
 * treat it case-insensitively in practice, and two leads for Ana@ and ana@ help nobody).
 * Undefined for anything that is not a plausible address (`null`, `test@test`, `a@b`, …).
 *
 * @example
 * normaliseEmail('  Ana.Kovac@Fernhill.Example ') // 'ana.kovac@fernhill.example'
 * normaliseEmail('test@test')                     // undefined
 */
export function normaliseEmail(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const email = raw.trim().toLowerCase();
  if (!isEmailAddress(email) || JUNK.test(email)) return undefined;
  return email;
}
