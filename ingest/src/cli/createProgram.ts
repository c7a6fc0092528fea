import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { packageRoot } from '../packageRoot.js';
import { checkConfigCommand } from './commands/checkConfig.js';
import { eraseCommand } from './commands/erase.js';
import { exportCommand } from './commands/export.js';
import { keysCommand } from './commands/keys.js';
import { migrateCommand } from './commands/migrate.js';
import { rescoreCommand } from './commands/rescore.js';
import { serveCommand } from './commands/serve.js';

/**
 * The `leadbeam` command with all its subcommands, reading the server's environment.
 *
 * @example
 * await createProgram(process.env).parseAsync(process.argv);
 */
export function createProgram(env: Record<string, string | undefined> = process.env): Command {
  const { version } = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return new Command('leadbeam')
    .description('leadbeam: website lead tracking and scoring. Every command reads the same environment as the server (DATABASE_URL, LEADBEAM_CONFIG, …).')
    .version(version)
    .addCommand(serveCommand(env))
    .addCommand(migrateCommand(env))
    .addCommand(keysCommand(env))
    .addCommand(rescoreCommand(env))
    .addCommand(exportCommand(env))
    .addCommand(eraseCommand(env))
    .addCommand(checkConfigCommand(env));
}
