import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { exportLead } from '../../privacy/exportLead.js';
import { createProgressLine } from '../progressLine.js';
import { readSettings } from '../../settings.js';
import { withDatabase } from '../withDatabase.js';

/**
 * `leadbeam export LEAD_ID [--out FILE]`: everything held about one person as JSON (a data
 * subject's access request), on stdout or in a file; progress goes to stderr so stdout can be
 * redirected as it is.
 *
 * @example
 * program.addCommand(exportCommand(process.env));
 */
export function exportCommand(env: Record<string, string | undefined>): Command {
  return new Command('export')
    .description('export everything held about a lead (and the leads merged into it) as JSON')
    .argument('<leadId>', 'the lead, e.g. ld_…')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (leadId: string, { out }: { out?: string }) => {
      await withDatabase(readSettings(env), async ({ db, location }) => {
        const progress = createProgressLine();
        progress.update(`exporting ${leadId} from ${location}…`);
        const data = await exportLead(db, leadId);
        progress.done();
        if (!data) throw new Error(`no lead ${leadId}`);
        const json = `${JSON.stringify(data, null, 2)}\n`;
        if (out) await writeFile(out, json, { mode: 0o600 });
        else process.stdout.write(json);
        console.error(
          `exported ${leadId}: ${data.leads.length} leads, ${data.browsers.length} browsers, ${data.events.length} events, ${data.webhookDeliveries.length} webhook deliveries${out ? ` to ${out}` : ''}`,
        );
      });
    });
}
