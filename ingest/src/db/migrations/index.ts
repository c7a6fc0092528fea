import type { Migration } from 'kysely';
import { eventsAndVisitors } from './001_events_and_visitors.js';

/**
 * Every migration, in order. Names are stored by kysely's Migrator: never rename one that
 * has shipped; add a new file instead.
 */
export const migrations: Record<string, Migration> = {
  '001_events_and_visitors': eventsAndVisitors,
};
