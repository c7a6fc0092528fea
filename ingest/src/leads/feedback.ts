import { z } from 'zod';
import type { Stage } from '../scoring/lifecycle.js';

export const REJECT_REASONS = ['bad_fit', 'not_ready', 'no_budget', 'duplicate', 'other'] as const;

/** What sales may say about a lead. */
export const feedbackSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('accepted'), note: z.string().max(2000).optional(), by: z.string().max(200).optional() }).strict(),
  z
    .object({
      type: z.literal('rejected'),
      reason: z.enum(REJECT_REASONS),
      /** `recycle` (default): back to nurture, it may qualify again; `disqualify`: never again by scoring. */
      outcome: z.enum(['recycle', 'disqualify']).default('recycle'),
      note: z.string().max(2000).optional(),
      by: z.string().max(200).optional(),
    })
    .strict(),
  z.object({ type: z.literal('contacted'), note: z.string().max(2000).optional(), by: z.string().max(200).optional() }).strict(),
  z.object({ type: z.literal('opportunity'), note: z.string().max(2000).optional(), by: z.string().max(200).optional() }).strict(),
  z.object({ type: z.literal('won'), note: z.string().max(2000).optional(), by: z.string().max(200).optional() }).strict(),
  z.object({ type: z.literal('lost'), reason: z.string().min(1).max(40), note: z.string().max(2000).optional(), by: z.string().max(200).optional() }).strict(),
]);
export type Feedback = z.infer<typeof feedbackSchema>;

const FROM: Record<Feedback['type'], Stage[]> = {
  accepted: ['lead', 'mql', 'recycled'],
  rejected: ['lead', 'mql', 'sql'],
  contacted: ['lead', 'mql', 'sql', 'opportunity', 'recycled'],
  opportunity: ['sql'],
  won: ['sql', 'opportunity'],
  lost: ['sql', 'opportunity'],
};

/**
 * The stage a lead moves to on sales feedback, or why it cannot: accepted → SQL, rejected →
 * recycled (nurture) or disqualified, opportunity, won → customer, lost → recycled; contacted
 * keeps the stage. Pure, so the rules are tested on their own.
 *
 * @example
 * stageAfterFeedback('mql', { type: 'accepted' }) // { stage: 'sql' }
 * stageAfterFeedback('customer', { type: 'accepted' }) // { error: 'a customer lead cannot be accepted; …' }
 */
export function stageAfterFeedback(current: Stage, feedback: Feedback): { stage: Stage } | { error: string } {
  if (!FROM[feedback.type].includes(current)) {
    return { error: `a ${current} lead cannot be ${feedback.type === 'contacted' ? 'contacted' : `marked ${feedback.type}`}; allowed from: ${FROM[feedback.type].join(', ')}` };
  }
  switch (feedback.type) {
    case 'accepted':
      return { stage: 'sql' };
    case 'rejected':
      return { stage: feedback.outcome === 'disqualify' ? 'disqualified' : 'recycled' };
    case 'opportunity':
      return { stage: 'opportunity' };
    case 'won':
      return { stage: 'customer' };
    case 'lost':
      return { stage: 'recycled' };
    default:
      return { stage: current };
  }
}
