import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { expect, it } from 'vitest';
import { BUDGET_GZIP as CAP_GZIP } from '../../bench/size.js';

// The script tag's cap, measured as `npm run size` (bench/size.ts) does: gzip level 9. `npm test`
// builds the script first (`npm run build:sdk`); run alone, this measures the last build.
it(`keeps the script-tag bundle within ${CAP_GZIP} B gzip`, () => {
  const gzip = gzipSync(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../dist/leadbeam.js')), { level: 9 }).length;
  expect(gzip, `sdk/dist/leadbeam.js is ${gzip} B gzip (level 9); the cap is ${CAP_GZIP} B`).toBeLessThanOrEqual(CAP_GZIP);
});
