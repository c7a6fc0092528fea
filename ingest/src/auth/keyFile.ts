import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The key file's name inside the data folder. */
export const KEY_FILE_NAME = 'secret-key';

export interface KeyFile {
  key: string;
  /** Absolute path of the file. */
  path: string;
  /** True when this call made the key (the first start). */
  created: boolean;
}

/**
 * The admin key kept in `<dataDir>/secret-key` (mode 0600) for a server started without
 * `LEADBEAM_SECRET_KEY`: made at random on the first start, read on every later one. There is
 * no key anybody else knows, so a server reachable from the internet is never open.
 *
 * @example
 * const { key, path } = loadOrCreateKeyFile('./data'); // path: /srv/leadbeam/data/secret-key
 */
export function loadOrCreateKeyFile(dataDir: string): KeyFile {
  const path = resolve(join(dataDir, KEY_FILE_NAME));
  const existing = readKeyFile(path);
  if (existing) return { key: existing, path, created: false };
  mkdirSync(resolve(dataDir), { recursive: true, mode: 0o700 });
  const key = `sk_${randomBytes(32).toString('base64url')}`;
  // Written whole to a private temporary file, then linked into place: another process starting
  // at the same moment sees either no file or the complete key, and only one key ever wins.
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temporary, `${key}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(temporary, path);
    return { key, path, created: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const winner = readKeyFile(path);
    if (!winner) throw new Error(`${path}: the secret key file is empty`);
    return { key: winner, path, created: false };
  } finally {
    rmSync(temporary, { force: true });
  }
}

/** The key in the file, or undefined when there is no file; refuses a file that is not a key. */
function readKeyFile(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const key = text.trim();
  if (key.length < 16 || /\s/.test(key)) throw new Error(`${path}: not a secret key (delete the file to make a new one)`);
  // A copy or a restore may have widened it: the key is as good as its file's permissions.
  if (statSync(path).mode & 0o077) chmodSync(path, 0o600);
  return key;
}
