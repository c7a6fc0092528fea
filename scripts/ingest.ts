/**
 * `npm run ingest`: the ingest alone (no demo site), for production and for a process manager.
 * Reads the same environment as `npm start`: PORT, DATABASE_URL, LEADBEAM_SECRET_KEY,
 * LEADBEAM_DATA_DIR, LEADBEAM_CONFIG. SIGTERM or SIGINT stops accepting, finishes the requests in flight, commits
 * what is queued and exits 0; a second signal exits at once.
 */
import { describeSecretKey, readSettings } from '../ingest/src/settings.js';
import { startIngest } from '../ingest/src/startIngest.js';

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

async function main() {
  const settings = readSettings(process.env);
  const ingest = await startIngest(settings, process.env);
  // One line that says what runs and where, never the key itself (logs are read by more people
  // than the key is).
  const sites = ingest.sites.map((s) => `${s.key} rules ${s.ruleVersion}`).join(', ');
  console.log(
    `leadbeam ingest listening on ${ingest.url}, storing in ${ingest.location}, config ${ingest.configPath} (${sites}), secret key ${describeSecretKey(settings)}`,
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      console.error(`leadbeam ingest: ${signal} again, exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    console.log(`leadbeam ingest: ${signal}, finishing requests in flight and committing queued events`);
    ingest.close().then(
      () => process.exit(0),
      (err) => {
        console.error(`leadbeam ingest: stopping failed: ${errorText(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  console.error(`leadbeam ingest could not start: ${errorText(err)}`);
  process.exit(1);
});
