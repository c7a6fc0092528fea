import { feedbackSchema, type Feedback } from '../leads/feedback.js';
import type { Random } from './createRandom.js';
import { SALES_REPS } from './demoPeople.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** One thing sales says, `afterMs` after the step before it (the first: after the handover). */
export interface SalesStep {
  afterMs: number;
  feedback: Feedback;
}

/**
 * What sales does with a lead handed to them (scoring made it an MQL, or a hand-raiser an SQL):
 * a believable chain of feedback. Most answer within hours, some within the hour, some only
 * after days, and some never (those breach the follow-up agreement). Good fits are mostly
 * accepted, poor fits rejected with a reason; accepted leads become opportunities and are won or
 * lost weeks later. An empty chain is a lead nobody answered.
 *
 * @example
 * const steps = planSalesResponse(random.fork(`sales:${email}`), { to: 'mql', fit: 35 });
 */
export function planSalesResponse(random: Random, { to, fit }: { to: 'mql' | 'sql'; fit: number }): SalesStep[] {
  const between = (min: number, max: number) => Math.round(random.between(min, max));
  const by = random.pick(SALES_REPS);
  const say = (input: Record<string, unknown>) => feedbackSchema.parse({ by, ...input });
  const steps: SalesStep[] = [];
  const firstDelay = random.weighted<[number, number]>([
    [[5 * MINUTE, 55 * MINUTE], 32],
    [[HOUR, 8 * HOUR], 30],
    [[DAY, 3 * DAY], 22],
    [[4 * DAY, 9 * DAY], 16],
  ]);
  let afterMs = between(...firstDelay);

  if (to === 'mql') {
    // Some MQLs nobody answers: the follow-up breaches the overview flags.
    if (random.chance(0.2)) return [];
    if (random.chance(0.18)) {
      steps.push({ afterMs, feedback: say({ type: 'contacted', note: random.pick(['Left a voicemail', 'Sent an intro email', 'Connected on LinkedIn']) }) });
      afterMs = between(DAY, 3 * DAY);
    }
    const poorFit = fit < 20;
    if (random.chance(poorFit ? 0.75 : 0.25)) {
      const reason = poorFit ? random.weighted([['bad_fit', 6], ['no_budget', 2], ['other', 1]] as const) : random.weighted([['not_ready', 4], ['no_budget', 3], ['duplicate', 1], ['other', 1], ['bad_fit', 1]] as const);
      const outcome = reason === 'duplicate' || (reason === 'bad_fit' && random.chance(0.5)) ? 'disqualify' : 'recycle';
      const note = { bad_fit: 'Too small for us / outside our market', not_ready: 'Interested, but not before next quarter', no_budget: 'No budget this year', duplicate: 'Already in the CRM under a colleague', other: 'Student project' }[reason];
      steps.push({ afterMs, feedback: say({ type: 'rejected', reason, outcome, note }) });
      return steps;
    }
    steps.push({ afterMs, feedback: say({ type: 'accepted', note: random.pick(['Good fit, booking a call', 'Finance team of 12, evaluating tools', 'Came through the demo form, strong intent']) }) });
    afterMs = between(2 * HOUR, 2 * DAY);
  }

  // An SQL: a first call, then an opportunity, or lost early, or still open.
  if (random.chance(0.6)) {
    steps.push({ afterMs, feedback: say({ type: 'contacted', note: random.pick(['Discovery call done', 'Demo held with the controller', 'Sent the proposal']) }) });
    afterMs = between(DAY, 5 * DAY);
  }
  const next = random.weighted([['opportunity', 6], ['lost', 2], ['open', 3]] as const);
  if (next === 'open') return steps;
  if (next === 'lost') {
    steps.push({ afterMs: afterMs + between(2 * DAY, 8 * DAY), feedback: say({ type: 'lost', reason: random.pick(['no_decision', 'timing', 'price']), note: 'Went quiet after the demo' }) });
    return steps;
  }
  steps.push({ afterMs: afterMs + between(DAY, 6 * DAY), feedback: say({ type: 'opportunity', note: `Proposal for ${random.int(3, 25)} users sent` }) });
  const outcome = random.weighted([['won', 5], ['lost', 4], ['open', 2]] as const);
  if (outcome === 'won') steps.push({ afterMs: between(5 * DAY, 20 * DAY), feedback: say({ type: 'won', note: random.pick(['Signed the annual Growth plan', 'Signed Scale, 3 entities']) }) });
  if (outcome === 'lost') steps.push({ afterMs: between(5 * DAY, 20 * DAY), feedback: say({ type: 'lost', reason: random.pick(['price', 'competitor', 'no_decision', 'timing']), note: random.pick(['Chose a cheaper tool', 'Went with Ledgerly', 'Project postponed']) }) });
  return steps;
}
