/**
 * leadbeam for sites that bundle their own JavaScript.
 *
 * @example
 * import { createTracker } from 'leadbeam';
 * const leadbeam = createTracker({ site: 'demo', api: 'https://t.example.com' });
 * leadbeam.page();
 */
export { createTracker, type Tracker, type TrackerOptions, type Props } from './tracker.js';
export { SESSION_TIMEOUT_MS, touchVisit, type VisitState } from './visit.js';
export { readPageTags, readCampaign } from './page.js';
export type { TrackedEvent, EventBatch, FunnelStage, EventType, Campaign, PropValue } from '../../shared/src/types.js';
