import { randomBytes } from 'node:crypto';

/**
 * A random id with a prefix that says what it names (`ld_` lead, `dl_` delivery, …): 96 bits,
 * URL-safe.
 *
 * @example
 * newId('ld') // 'ld_3q2-7wYbV0kP1xQe'
 */
export const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('base64url')}`;

let changeSeq = 0;
/**
 * Stage change ids sort in the order the changes happened, even within one millisecond.
 *
 * @example
 * changeId(Date.now()) // 'sc_0lz3k2j9a_0001_9f2c1e'
 */
export const changeId = (at: number) => `sc_${at.toString(36).padStart(9, '0')}_${(changeSeq++ % 1e6).toString(36).padStart(4, '0')}_${randomBytes(3).toString('hex')}`;
