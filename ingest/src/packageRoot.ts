import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The leadbeam package's directory: the nearest one above `from` (a module's URL) whose
 * package.json is named `leadbeam`. Shipped files (the demo config, the built SDK) are found
 * from here rather than from a module's own location, which differs between `ingest/src/…`
 * (run by tsx) and `dist/ingest/src/…` (the build).
 *
 * @example
 * join(packageRoot(), 'ingest/config/demo.json') // '/app/ingest/config/demo.json'
 */
export function packageRoot(from: string | URL = import.meta.url): string {
  const start = dirname(fileURLToPath(from));
  for (let dir = start; ; dir = dirname(dir)) {
    if (packageName(join(dir, 'package.json')) === 'leadbeam') return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json named leadbeam above ${start}`);
  }
}

/** The `name` in a package.json, or undefined when the file is missing or not JSON. */
function packageName(path: string): unknown {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { name?: unknown }).name;
  } catch {
    return undefined;
  }
}
