import type { Migration } from 'kysely';
import { eventsAndVisitors } from './001_events_and_visitors.js';
import { eventTraits } from './002_event_traits.js';
import { sessions } from './003_sessions.js';
import { leadsAndScores } from './004_leads_and_scores.js';
import { feedback } from './005_feedback.js';
import { webhooks } from './006_webhooks.js';
import { identity } from './007_identity.js';
import { mergedIndex } from './008_merged_index.js';
import { retentionIndexes } from './009_retention_indexes.js';
import { writePath } from './010_write_path.js';
import { apiKeys } from './011_api_keys.js';
import { privacyAndClaims } from './012_privacy_and_claims.js';
import { rulesetsAndFollowUp } from './013_rulesets_and_follow_up.js';
import { appSessions } from './014_app_sessions.js';
import { dashboardIndexes } from './015_dashboard_indexes.js';
import { leadFirstTouch } from './016_lead_first_touch.js';
import { dailyRollups } from './017_daily_rollups.js';
import { handovers } from './018_handovers.js';
import { leadPages } from './019_lead_pages.js';
import { leadSearch } from './020_lead_search.js';
import { linkOwners } from './021_link_owners.js';
import { eventsWithTraits } from './022_events_with_traits.js';
import { trustedEvents } from './023_trusted_events.js';
import { pastLinkOwners } from './024_past_link_owners.js';
import { unboundedCauses } from './025_unbounded_causes.js';

/**
 * Every migration, in order. Names are stored by kysely's Migrator: never rename one that
 * has shipped; add a new file instead.
 */
export const migrations: Record<string, Migration> = {
  '001_events_and_visitors': eventsAndVisitors,
  '002_event_traits': eventTraits,
  '003_sessions': sessions,
  '004_leads_and_scores': leadsAndScores,
  '005_feedback': feedback,
  '006_webhooks': webhooks,
  '007_identity': identity,
  '008_merged_index': mergedIndex,
  '009_retention_indexes': retentionIndexes,
  '010_write_path': writePath,
  '011_api_keys': apiKeys,
  '012_privacy_and_claims': privacyAndClaims,
  '013_rulesets_and_follow_up': rulesetsAndFollowUp,
  '014_app_sessions': appSessions,
  '015_dashboard_indexes': dashboardIndexes,
  '016_lead_first_touch': leadFirstTouch,
  '017_daily_rollups': dailyRollups,
  '018_handovers': handovers,
  '019_lead_pages': leadPages,
  '020_lead_search': leadSearch,
  '021_link_owners': linkOwners,
  '022_events_with_traits': eventsWithTraits,
  '023_trusted_events': trustedEvents,
  '024_past_link_owners': pastLinkOwners,
  '025_unbounded_causes': unboundedCauses,
};
