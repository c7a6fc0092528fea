import { Command } from 'commander';
import { serveIngest } from '../serveIngest.js';

/**
 * `leadbeam serve`: the ingest alone, as `npm run ingest` runs it.
 *
 * @example
 * program.addCommand(serveCommand(process.env));
 */
export function serveCommand(env: Record<string, string | undefined>): Command {
  return new Command('serve')
    .description('run the ingest alone, as npm run ingest does (migrates at start)')
    .action(async () => {
      await serveIngest(env);
    });
}
