/**
 * `npm run size`: the script-tag bundle against its budget, beside peers measured in the same
 * run. Exits non-zero when the budget is broken.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const require = createRequire(import.meta.url);
export const BUDGET_GZIP = 3000;
export const AIM_GZIP = 2500;

export interface SizeRow {
  name: string;
  raw: number;
  gzip: number;
  brotli: number;
}

export function measure(name: string, path: string): SizeRow {
  const code = readFileSync(path);
  return {
    name,
    raw: code.length,
    gzip: gzipSync(code, { level: 9 }).length,
    brotli: brotliCompressSync(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}

export function measureSizes(): { rows: SizeRow[]; core: SizeRow } {
  const core = measure('leadbeam sdk.js (script tag)', 'sdk/dist/leadbeam.js');
  const rows = [
    core,
    // Named by its content hash (<8 hex>.js): the one the build left.
    measure('leadbeam vitals chunk (lazy)', `sdk/dist/${readdirSync('sdk/dist').find((f) => /^[0-9a-f]{8}\.js$/.test(f))}`),
    measure('Plausible tracker (npm, ESM)', require.resolve('@plausible-analytics/tracker')),
    measure('posthog-js array.js', require.resolve('posthog-js/dist/array.js')),
  ];
  return { rows, core };
}

export function printSizes({ rows, core }: ReturnType<typeof measureSizes>): boolean {
  console.log('\nScript size (bytes)');
  console.log(`${'bundle'.padEnd(34)}${'raw'.padStart(9)}${'gzip -9'.padStart(9)}${'brotli'.padStart(9)}   gzip vs leadbeam`);
  for (const r of rows) {
    console.log(`${r.name.padEnd(34)}${String(r.raw).padStart(9)}${String(r.gzip).padStart(9)}${String(r.brotli).padStart(9)}   ${(r.gzip / core.gzip).toFixed(2)}×`);
  }
  const ok = core.gzip <= BUDGET_GZIP;
  // Headroom to the cap and to the aim: what the next change to the script may spend.
  const headroom = (limit: number) => (core.gzip <= limit ? `${limit - core.gzip} B to spare` : `${core.gzip - limit} B over`);
  console.log(
    `budget: ${core.gzip} B gzip (${ok ? 'within' : 'OVER'}); cap ${BUDGET_GZIP} B: ${headroom(BUDGET_GZIP)}; aim ${AIM_GZIP} B: ${headroom(AIM_GZIP)}`,
  );
  return ok;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = printSizes(measureSizes()) ? 0 : 1;
}
