import { createHash, randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { fromJson, fromJsonOrNull, toJson } from '../db/json.js';
import type { Database, RescoreState, RulesetSource, RulesetVersionsTable } from '../db/schema.js';
import { ruleVersion, type ScoringRules } from '../scoring/rulesSchema.js';

export type RulesetRow = Selectable<RulesetVersionsTable>;

/** A rule set version as the API and the dashboard show it. */
export interface RulesetVersion {
  id: string;
  site: string;
  version: string;
  inEffect: boolean;
  source: RulesetSource;
  /** The key's name, `bootstrap`, or `config`. */
  by: string;
  at: string;
  note: string | null;
  rules: ScoringRules;
  /** The rescore that followed it; null when none was needed (the first version). */
  rescore: {
    state: RescoreState;
    /** Leads to rescore, leads done, their events, and how many moved stage up or down so far. */
    total: number;
    leads: number;
    events: number;
    up: number;
    down: number;
    startedAt: string | null;
    finishedAt: string | null;
    error: string | null;
  } | null;
}

let rulesetSeq = 0;
/** Ids sort in the order versions were made, even within one millisecond (in one process). */
export const rulesetId = (at: number) => `rs_${at.toString(36).padStart(9, '0')}_${(rulesetSeq++ % 1e6).toString(36).padStart(4, '0')}_${randomBytes(6).toString('hex')}`;

/** The key of a config import: the same for every process importing the same change, so only one row results. */
export const importKey = (site: string, version: string, previousImportId: string | undefined) =>
  createHash('sha256').update(`${site}\u0000${version}\u0000${previousImportId ?? ''}`).digest('hex');

/** A new version row. */
export function newRulesetRow(site: string, rules: ScoringRules, { source, by, at, note = null, importKey = null, rescore }: { source: RulesetSource; by: string; at: number; note?: string | null; importKey?: string | null; rescore: boolean }): RulesetRow {
  return {
    id: rulesetId(at),
    site_id: site,
    version: ruleVersion(rules),
    rules: toJson(rules),
    source,
    created_by: by,
    created_at: at,
    note,
    import_key: importKey,
    rescore_state: rescore ? 'pending' : null,
    rescore_claimed_until: null,
    rescore_report: null,
    rescore_started_at: null,
    rescore_finished_at: null,
    rescore_error: null,
  };
}

/** Makes a version the one in effect for its site (insert or replace: one row a site). */
export async function putInEffect(trx: Kysely<Database>, row: Pick<RulesetRow, 'id' | 'site_id' | 'version'>, at: number) {
  await trx
    .insertInto('rulesets_in_effect')
    .values({ site_id: row.site_id, ruleset_id: row.id, version: row.version, since: at })
    .onConflict((oc) => oc.column('site_id').doUpdateSet({ ruleset_id: row.id, version: row.version, since: at }))
    .execute();
}

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

/** A stored row as the API shows it. */
export function presentRuleset(row: RulesetRow, inEffectId: string | undefined): RulesetVersion {
  const report = fromJsonOrNull(row.rescore_report);
  return {
    id: row.id,
    site: row.site_id,
    version: row.version,
    inEffect: row.id === inEffectId,
    source: row.source,
    by: row.created_by,
    at: new Date(Number(row.created_at)).toISOString(),
    note: row.note,
    rules: fromJson(row.rules),
    rescore: row.rescore_state
      ? {
          state: row.rescore_state,
          total: report?.total ?? 0,
          leads: report?.leads ?? 0,
          events: report?.events ?? 0,
          up: report?.up ?? 0,
          down: report?.down ?? 0,
          startedAt: iso(row.rescore_started_at),
          finishedAt: iso(row.rescore_finished_at),
          error: row.rescore_error,
        }
      : null,
  };
}
