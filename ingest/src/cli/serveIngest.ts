import { describeSecretKey, describeUnsafeSettings, readSettings } from '../settings.js';
import { startIngest, type RunningIngest } from '../startIngest.js';
import { stopOnSignals } from './stopOnSignals.js';

/**
 * The ingest alone, as `npm run ingest` and `leadbeam serve` run it: reads the environment,
 * starts, prints one line saying what runs and where (never the key itself: logs are read by
 * more people than the key is), and stops gracefully on SIGTERM or SIGINT.
 *
 * @example
 * await serveIngest(process.env);
 */
export async function serveIngest(env: Record<string, string | undefined> = process.env): Promise<RunningIngest> {
  const settings = readSettings(env);
  const ingest = await startIngest(settings, env);
  // Before the start line: whoever sees the line may signal at once.
  stopOnSignals(ingest, 'leadbeam ingest');
  const sites = ingest.sites.map((s) => `${s.key} rules ${s.ruleVersion}`).join(', ');
  console.log(
    `leadbeam ingest listening on ${ingest.url}, storing in ${ingest.location}, config ${ingest.configPath} (${sites}), secret key ${describeSecretKey(settings)}${describeUnsafeSettings(settings)}`,
  );
  return ingest;
}
