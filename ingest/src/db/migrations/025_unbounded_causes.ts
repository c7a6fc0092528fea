import { sql, type Kysely, type Migration } from 'kysely';
import { isPostgres } from '../dialect.js';

/**
 * A stage change's `cause` and a trait change's `source` name the event behind them
 * (`form:<name>`, `api:track:<name>`), and an event's name may be 200 characters: on
 * PostgreSQL `varchar(200)` and `varchar(120)` refused such a form, and the database's refusal
 * failed its whole batch with 503, which the script retries for ever. Both become `text`
 * (a catalogue change on PostgreSQL: no table rewrite). SQLite never enforced the lengths.
 */
export const unboundedCauses: Migration = {
  async up(db: Kysely<any>) {
    if (!isPostgres(db)) return;
    await sql`alter table stage_changes alter column cause type text`.execute(db);
    await sql`alter table trait_changes alter column source type text`.execute(db);
  },
  async down(db: Kysely<any>) {
    if (!isPostgres(db)) return;
    await sql`alter table stage_changes alter column cause type varchar(200) using left(cause, 200)`.execute(db);
    await sql`alter table trait_changes alter column source type varchar(120) using left(source, 120)`.execute(db);
  },
};
