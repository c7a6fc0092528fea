import type { Kysely } from 'kysely';
import type { LeadbeamConfig } from '../config/schema.js';
import type { Database } from '../db/schema.js';
import { createScorer, type Scorer } from '../scoring/engine.js';
import { applyRulesetsInEffect } from './applyRulesetsInEffect.js';
import { syncConfigRulesets, type ConfigImport } from './syncConfigRulesets.js';

/**
 * The scorer registry of an ingest process at start: the config file's rules brought into the
 * database (`syncConfigRulesets`: seeded, imported when changed, a rescore queued), then each
 * site's version in effect compiled. One `Map` for the app, the writer and the replayer, which
 * `createRulesetWatcher` keeps on the version in effect.
 *
 * @example
 * const { scorers, imports } = await loadScorerRegistry(db, config);
 */
export async function loadScorerRegistry(db: Kysely<Database>, config: LeadbeamConfig, now = Date.now()): Promise<{ scorers: Map<string, Scorer>; imports: ConfigImport[] }> {
  const imports = await syncConfigRulesets(db, config, now);
  const scorers = new Map(config.sites.map((s) => [s.key, createScorer(s.scoring)]));
  await applyRulesetsInEffect(db, scorers);
  return { scorers, imports };
}
