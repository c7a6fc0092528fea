/**
 * `npm run rescore [-- --lead ID]`: replays every lead under the rules in the current config and
 * reports how many moved stage, up or down. Uses the same DATABASE_URL and LEADBEAM_CONFIG as the
 * ingest. The same command as `leadbeam rescore`, which it runs.
 */
import { rescoreCommand } from '../ingest/src/cli/commands/rescore.js';

try {
  await rescoreCommand(process.env).name('npm run rescore --').parseAsync(process.argv);
} catch (err) {
  console.error(`npm run rescore: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
