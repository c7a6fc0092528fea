/**
 * `npm start`: the ingest on PORT (8787) and the demo site on DEMO_PORT (3000), storing in
 * SQLite at ./data/leadbeam.db unless DATABASE_URL says otherwise.
 */
import { startDemoSite } from '../demo-site/startDemoSite.js';
import { describeSecretKey, describeUnsafeSettings, readSettings } from '../ingest/src/settings.js';
import { startIngest } from '../ingest/src/startIngest.js';
import { stopOnSignals } from '../ingest/src/cli/stopOnSignals.js';
import type { DemoDataReport } from '../ingest/src/demo/seedDemoData.js';

async function main() {
  const env = { ...process.env, DEMO_PORT: process.env.DEMO_PORT || '3000' };
  const settings = readSettings(env);
  const ingest = await startIngest(settings, env, { demoData: settings.demoData });
  // The ingest is up already: if the demo site cannot start, stop it too, so the error is the only thing left.
  const demo = await startDemoSite(Number(env.DEMO_PORT), { ingestUrl: ingest.url, siteKey: 'demo', secretKey: settings.secretKey }, settings.host).catch(async (err) => {
    await ingest.close();
    throw err;
  });

  console.log(`
leadbeam is running
  ingest     ${ingest.url}   (script: ${ingest.url}/sdk.js)
  demo site  ${demo.url}
  dashboard  ${ingest.url}/app   (sign in with the secret key)
  storage    ${ingest.location}
  config     ${ingest.configPath}
${ingest.sites.map((s) => `  site       ${s.key}   rules ${s.ruleVersion}`).join('\n')}
  secret key ${describeSecretKey(settings)}${describeUnsafeSettings(settings).replace(', ', '\n  warning    ')}${ingest.demoData ? `\n  demo data  ${describeDemoData(ingest.demoData)}` : ''}

Try: open ${demo.url}, browse, then
  curl -H "Authorization: Bearer ${keyForShell(settings)}" ${ingest.url}/v1/visitors/<visitorId>
(the visitor id is leadbeam.visitorId() in the browser console)
`);

  // As `npm run ingest` stops: requests in flight finish, queued events commit, a second signal exits at once.
  stopOnSignals({ close: async () => void (await Promise.all([demo.close(), ingest.close()])) }, 'leadbeam');
}

/** The start line about the demo data just added, and how to start without it. */
const describeDemoData = ({ visitors, leads, events, feedback, ms }: DemoDataReport) =>
  `added 60 days of history to the empty database: ${visitors} visitors, ${leads} leads, ${events.toLocaleString('en')} events, ${feedback} sales answers (${(ms / 1000).toFixed(1)} s; LEADBEAM_DEMO_DATA=0 starts empty)`;

/** What to type for the key in the example: read from its file, never printed. */
const keyForShell = ({ secretKeySource }: ReturnType<typeof readSettings>) =>
  secretKeySource.from === 'file' ? `$(cat '${secretKeySource.path}')` : '$LEADBEAM_SECRET_KEY';

main().catch((err) => {
  console.error(`leadbeam could not start: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
