import { resolve } from 'node:path';
import { Command } from 'commander';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../../config/loadConfig.js';
import { createScorer } from '../../scoring/engine.js';

/**
 * `leadbeam check-config [--config FILE]`: validates a config before a server is started with
 * it, and shows each site's rule version (the one scores will be stamped with). Reads only
 * the config: no database, no key file.
 *
 * @example
 * program.addCommand(checkConfigCommand(process.env));
 */
export function checkConfigCommand(env: Record<string, string | undefined>): Command {
  return new Command('check-config')
    .description('validate the config (LEADBEAM_CONFIG, or --config) and show each site with its rule version')
    .option('--config <file>', 'the config file to check (default: LEADBEAM_CONFIG, else the demo config)')
    .action(({ config: file }: { config?: string }) => {
      // As readSettings reads it, without readSettings' side effect (it makes the key file).
      const path = resolve(file ?? (env.LEADBEAM_CONFIG?.trim() || DEFAULT_CONFIG_PATH));
      let config;
      try {
        config = loadConfig(path, env);
      } catch (err) {
        // loadConfig's message already has one line per problem: printed as it is.
        console.error(`leadbeam check-config: ${(err as Error).message}`);
        process.exitCode = 1;
        return;
      }
      console.log(`${path}: valid, ${config.sites.length} ${config.sites.length === 1 ? 'site' : 'sites'}`);
      for (const site of config.sites) {
        const { engagement, fit } = site.scoring;
        console.log(`  ${site.key}: rules ${createScorer(site.scoring).version}, ${engagement.length + fit.length} rules (${engagement.length} engagement, ${fit.length} fit)`);
      }
    });
}
