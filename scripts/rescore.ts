/**
 * `npm run rescore`: replays every lead under the rules in the current config and reports how
 * many moved stage, up or down. Uses the same DATABASE_URL and LEADBEAM_CONFIG as the ingest.
 */
import { rescoreAll } from '../ingest/src/admin/rescore.js';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../ingest/src/config/loadConfig.js';
import { migrateToLatest } from '../ingest/src/db/migrate.js';
import { DEFAULT_DATABASE_URL, openDatabase } from '../ingest/src/db/openDatabase.js';
import { createScorer } from '../ingest/src/scoring/engine.js';

const config = loadConfig(process.env.LEADBEAM_CONFIG || DEFAULT_CONFIG_PATH);
const { db, location } = openDatabase(process.env.DATABASE_URL || DEFAULT_DATABASE_URL);
try {
  await migrateToLatest(db);
  const report = await rescoreAll(db, new Map(config.sites.map((s) => [s.key, createScorer(s.scoring)])));
  console.log(`rescored ${report.leads} leads (${report.events} events) in ${location} in ${report.seconds} s`);
  console.log(`rule versions: ${Object.entries(report.ruleVersions).map(([s, v]) => `${s}=${v}`).join(', ')}`);
  console.log(`stage changes: ${report.stageChanges.up} up, ${report.stageChanges.down} down`);
  for (const m of report.movedLeads) console.log(`  ${m.id}: ${m.from} → ${m.to}`);
} finally {
  await db.destroy();
}
