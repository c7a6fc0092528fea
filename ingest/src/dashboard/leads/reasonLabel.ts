import { REJECT_REASONS } from '../../leads/feedback.js';

/** Each reason sales may give for a rejection, as the feedback form words it. */
export const REASON_LABELS: Record<(typeof REJECT_REASONS)[number], string> = { bad_fit: 'Bad fit', not_ready: 'Not ready to buy', no_budget: 'No budget', duplicate: 'Duplicate', other: 'Other' };

/**
 * A rejection reason as people read it: the form's label for a known code, else the code.
 *
 * @example
 * reasonLabel('not_ready') // 'Not ready to buy'
 */
export const reasonLabel = (code: string): string => (REASON_LABELS as Record<string, string>)[code] ?? code;
