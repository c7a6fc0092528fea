import { Command } from 'commander';
import { rescoreAll } from '../../admin/rescore.js';
import { applyRulesetsInEffect } from '../../rulesets/applyRulesetsInEffect.js';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../../config/loadConfig.js';
import { createScorer } from '../../scoring/engine.js';
import { createProgressLine } from '../progressLine.js';
import { readSettings } from '../../settings.js';
import { withDatabase } from '../withDatabase.js';

/**
 * `leadbeam rescore [--lead ID]`: replays leads under each site's rule set in effect (the last
 * published or imported version; the config file's rules for a site that has none yet) and
 * reports how many moved stage, with progress on stderr.
 *
 * @example
 * program.addCommand(rescoreCommand(process.env));
 */
export function rescoreCommand(env: Record<string, string | undefined>): Command {
  return new Command('rescore')
    .description('replay every lead (or one) under the rule set in effect (published, or imported from LEADBEAM_CONFIG) and report stage changes')
    .option('--lead <id>', 'rescore this lead only')
    .action(async ({ lead }: { lead?: string }) => {
      const settings = readSettings(env);
      const config = loadConfig(settings.configPath ?? DEFAULT_CONFIG_PATH, env);
      const scorers = new Map(config.sites.map((s) => [s.key, createScorer(s.scoring)]));
      await withDatabase(settings, async ({ db, location }) => {
        await applyRulesetsInEffect(db, scorers);
        const progress = createProgressLine();
        const report = await rescoreAll(db, scorers, {
          leadId: lead,
          onProgress: ({ leads, events }) => progress.update(`rescoring: ${leads} leads, ${events} events`),
        });
        progress.done();
        if (lead && !report.leads) throw new Error(`no lead ${lead} (or it was merged into another)`);
        console.log(`rescored ${report.leads} leads (${report.events} events) in ${location} in ${report.seconds} s`);
        console.log(`rule versions: ${Object.entries(report.ruleVersions).map(([s, v]) => `${s}=${v}`).join(', ')}`);
        console.log(`stage changes: ${report.stageChanges.up} up, ${report.stageChanges.down} down`);
        for (const m of report.movedLeads) console.log(`  ${m.id}: ${m.from} → ${m.to}`);
      });
    });
}
