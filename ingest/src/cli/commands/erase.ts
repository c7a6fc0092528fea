import { Command } from 'commander';
import { eraseLead } from '../../privacy/eraseLead.js';
import { exportLead } from '../../privacy/exportLead.js';
import { readSettings } from '../../settings.js';
import { withDatabase } from '../withDatabase.js';

/**
 * `leadbeam erase LEAD_ID --yes`: erases one person (a data subject's erasure request), audited
 * as actor `cli`. Without `--yes` it only says what it would erase: erasure cannot be undone.
 *
 * @example
 * program.addCommand(eraseCommand(process.env));
 */
export function eraseCommand(env: Record<string, string | undefined>): Command {
  return new Command('erase')
    .description('erase a lead, the leads merged into it, their browsers, events and deliveries (cannot be undone)')
    .argument('<leadId>', 'the lead, e.g. ld_…')
    .option('--yes', 'really erase (without it, only say what would be erased)')
    .action(async (leadId: string, { yes }: { yes?: boolean }) => {
      await withDatabase(readSettings(env), async ({ db, location }) => {
        if (!yes) {
          const data = await exportLead(db, leadId);
          if (!data) throw new Error(`no lead ${leadId}`);
          throw new Error(
            `would erase from ${location}: ${data.leads.length} leads, ${data.browsers.length} browsers${unlinkedNote(data.browsers)}, ${data.events.length} events, ${data.webhookDeliveries.length} webhook deliveries of ${leadId}; run again with --yes to erase`,
          );
        }
        const report = await eraseLead(db, leadId, { actor: 'cli', now: Date.now() });
        if (!report) throw new Error(`no lead ${leadId}`);
        const cleaned = report.visitorsCleaned ? ` (and the person's events from ${report.visitorsCleaned} other browsers, kept)` : '';
        console.log(`erased ${leadId} from ${location}: ${report.leads} leads, ${report.visitors} browsers${cleaned}, ${report.events} events, ${report.deliveries} webhook deliveries`);
      });
    });
}

/** Browsers never linked to the person lose only the events naming them: say how many of those there are. */
function unlinkedNote(browsers: object[]): string {
  const n = browsers.filter((b) => 'linked' in b && b.linked === false).length;
  return n ? ` (${n} never linked: only their events naming the person)` : '';
}
