/**
 * leadbeam for sites that bundle their own JavaScript.
 *
 * @example
 * import { createTracker, startAutocapture } from 'leadbeam';
 * const leadbeam = createTracker({ site: 'demo', api: 'https://t.example.com' });
 * startAutocapture(leadbeam);
 * leadbeam.page();
 */
export { createTracker, type Tracker, type TrackerOptions, type Props } from './tracker.js';
export { startAutocapture } from './autocapture.js';
export { readForm, TRAIT_FIELD } from './forms.js';
export { looksSensitive, SENSITIVE_NAME, READABLE_TYPES } from '../../shared/src/sensitive.js';
export { SESSION_TIMEOUT_MS, touchVisit, type VisitState } from './visit.js';
export { readPageTags } from './page.js';
export type { TrackedEvent, EventBatch, FunnelStage, EventType, Campaign, LeadTraits, PropValue } from '../../shared/src/types.js';
