/**
 * `npm run ingest`: the ingest alone (no demo site), for production and for a process manager.
 * Reads the same environment as `npm start`: PORT, DATABASE_URL, LEADBEAM_SECRET_KEY,
 * LEADBEAM_DATA_DIR, LEADBEAM_CONFIG. SIGTERM or SIGINT stops accepting, finishes the requests in flight, commits
 * what is queued and exits 0; a second signal exits at once.
 */
import { describeSecretKey, describeUnsafeSettings, readSettings } from '../ingest/src/settings.js';
import { startIngest } from '../ingest/src/startIngest.js';
import { stopOnSignals } from '../ingest/src/cli/stopOnSignals.js';

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

async function main() {
  const settings = readSettings(process.env);
  const ingest = await startIngest(settings, process.env);
  stopOnSignals(ingest, 'leadbeam ingest');
  // One line that says what runs and where, never the key itself (logs are read by more people
  // than the key is).
  const sites = ingest.sites.map((s) => `${s.key} rules ${s.ruleVersion}`).join(', ');
  console.log(
    `leadbeam ingest listening on ${ingest.url}, storing in ${ingest.location}, config ${ingest.configPath} (${sites}), secret key ${describeSecretKey(settings)}${describeUnsafeSettings(settings)}`,
  );
}

main().catch((err) => {
  console.error(`leadbeam ingest could not start: ${errorText(err)}`);
  process.exit(1);
});
