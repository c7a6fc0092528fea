/**
 * `npm run bench`: every speed and size budget, each printed with its figures and its ratio
 * to a baseline measured in the same run. Exits non-zero when a budget is broken.
 */
import { measureLoadTimes, printLoadTimes } from './loadTime.js';
import { benchHandover } from './handover.js';
import { benchScoring } from './scoring.js';
import { benchIngestLoad } from './ingestLoad.js';
import { benchLateEvent } from './lateEvent.js';
import { benchScaleOut } from './scaleOut.js';
import { measureSizes, printSizes } from './size.js';
import { benchDashboard } from './dashboard.js';

const results: Array<[string, boolean]> = [];
results.push(['script size', printSizes(measureSizes())]);
results.push(['script load time', printLoadTimes(await measureLoadTimes())]);
results.push(['scoring and lookups', await benchScoring()]);
results.push(['speed to lead (webhook)', await benchHandover()]);
results.push(['ingest under load (ratio to no-op, p99, acknowledged = stored)', await benchIngestLoad()]);
results.push(['late event for a long history (≤ 3× a fresh one)', await benchLateEvent()]);
results.push(['scale-out: 1, 2, 4 processes on one PostgreSQL (acknowledged = stored)', await benchScaleOut()]);
results.push(['dashboard pages with 100,000 leads and 1,000,000 events (p95 under 300 ms)', await benchDashboard()]);

console.log('\nSummary');
for (const [name, ok] of results) console.log(`  ${ok ? 'ok  ' : 'OVER'}  ${name}`);
process.exitCode = results.every(([, ok]) => ok) ? 0 : 1;
