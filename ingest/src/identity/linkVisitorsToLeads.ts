import type { Insertable, Kysely, Selectable } from 'kysely';
import { fromJson, toJson, toJsonOrNull } from '../db/json.js';
import type { Database, IdentityLogTable, LeadsTable, LeadVisitorsTable, PastLinksTable, TraitChangesTable } from '../db/schema.js';
import { newId } from '../ids.js';
import { survivorOf, type Lead, type LeadStageChange } from '../leads/leadStore.js';
import { normaliseEmail } from '../leads/email.js';
import { emptyState, type ScoredEvent, type ScoreState, type Scorer } from '../scoring/engine.js';
import { guardTraits, MAX_NEW_BROWSERS_PER_LEAD_PER_CLIENT_PER_HOUR, MAX_NEW_LEADS_PER_CLIENT_PER_HOUR, type ClaimBook } from './guardrails.js';
import type { LeadTraits } from '../../../shared/src/types.js';

/**
 * Visitor ids a public site key's server-side messages get from a Segment userId or
 * anonymousId (`segment/toEvents.ts`): a hash anyone can compute, so such a visitor never owns a
 * lead's traits, even one it made (anyone sending that userId is the same visitor).
 */
const guessable = (visitorId: string) => /^p[ua]_/.test(visitorId);

/** A lead with this many browsers and devices is most likely a shared or scripted address. */
export const MAX_VISITORS_PER_LEAD = 50;

/**
 * An event that says who the visitor is: one carrying a plausible email in its traits — a form
 * or identify, or a server-side track or page view whose Segment `userId` is an email
 * (`segment/toEvents.ts`).
 */
export interface IdentityEvent {
  event: ScoredEvent;
  visitorId: string;
  email: string;
  /** The sending client's key (`guardrails.ts`), when it came over a socket. */
  clientKey?: string;
  /** Sent with an API key: a trusted source, whose traits win over a browser's. */
  trusted?: boolean;
}

export type Link = Pick<Selectable<LeadVisitorsTable>, 'visitor_id' | 'lead_id' | 'from_ts' | 'owns_traits'>;

/**
 * The events of a batch that name a person (normalised email in their traits, whatever their
 * type), in scoring order. Junk and malformed emails name nobody (`normaliseEmail`).
 *
 * @example
 * const identities = identityEvents(events, visitorOf);
 */
export function identityEvents(
  events: ScoredEvent[],
  visitorOf: (e: ScoredEvent) => string,
  clientOf: (e: ScoredEvent) => string | undefined = () => undefined,
  trustedOf: (e: ScoredEvent) => boolean = () => false,
): IdentityEvent[] {
  return events.flatMap((event) => {
    const email = normaliseEmail(event.traits?.email);
    return email ? [{ event, visitorId: visitorOf(event), email, clientKey: clientOf(event), trusted: trustedOf(event) }] : [];
  });
}

/** An event that gives traits but names nobody (no plausible email). */
export interface TraitEvent {
  event: ScoredEvent;
  visitorId: string;
  trusted?: boolean;
}

/** Where a visitor's anonymous scoring started in this group: a state and the events applied to it. */
export interface VisitorScoring {
  state: ScoreState;
  events: ScoredEvent[];
}

/**
 * A visitor's scores as of one of its events: its anonymous engagement, decayed to the event's
 * time, and fit from the traits it gave so far (the event's included). Without the visitor's
 * scoring (a history too long to replay inline) only the event itself counts.
 *
 * @example
 * const { engagement, fit } = scoresAsOf(scorer, { state: before, events: mine }, form);
 */
export function scoresAsOf(scorer: Scorer, scoring: VisitorScoring | undefined, event: ScoredEvent) {
  const upTo = (e: ScoredEvent) => e.ts < event.ts || (e.ts === event.ts && e.id <= event.id);
  let state = scoring?.state ?? emptyState();
  for (const e of scoring ? scoring.events.filter(upTo) : [event]) state = scorer.scoreEvent(state, e).state;
  const { engagement, fit } = scorer.scoresAt(state, event.ts);
  return { engagement, fit };
}

/**
 * Finds the lead of every email, creating those seen for the first time. Creation is
 * idempotent: `ON CONFLICT DO NOTHING` on (site, email), so concurrent first forms with one
 * email, in this process or another, make one lead. Returns lead ids by email and the
 * visitor → lead changes of the leads this call created, with the scores of the visitor whose
 * event created each (`scoringOf`, see `scoresAsOf`) at that event. Takes no locks on existing leads: the
 * caller locks every lead it will change at once, in id order.
 *
 * @example
 * const { leadIdOf, created } = await findOrCreateLeads(trx, 'demo', scorer, identities, Date.now(), (v) => scoringOf.get(v));
 */
export async function findOrCreateLeads(
  trx: Kysely<Database>,
  site: string,
  scorer: Scorer,
  identities: IdentityEvent[],
  now: number,
  scoringOf: (visitorId: string) => VisitorScoring | undefined = () => undefined,
  claims?: ClaimBook,
) {
  const leadIdOf = new Map<string, string>();
  const created: LeadStageChange[] = [];
  /** Which event created each new lead: its browser is the lead's own. */
  const createdBy = new Map<string, string>();
  if (!identities.length) return { leadIdOf, created, createdBy };
  const emails = [...new Set(identities.map((i) => i.email))].sort();
  const byEmail = async (list: string[]) => {
    for (const row of await trx.selectFrom('leads').select(['id', 'email']).where('site_id', '=', site).where('email', 'in', list).execute()) leadIdOf.set(row.email, row.id);
  };
  await byEmail(emails);
  const firstOf = new Map<string, IdentityEvent>();
  for (const i of identities) if (!firstOf.has(i.email)) firstOf.set(i.email, i);
  // One client creates at most so many leads an hour: a request of 500 made-up emails makes few.
  const missing = emails.filter((e) => {
    if (leadIdOf.has(e)) return false;
    const client = firstOf.get(e)!.clientKey;
    if (!client || !claims) return true;
    if (claims.leadsCreated(client) >= MAX_NEW_LEADS_PER_CLIENT_PER_HOUR) return false;
    claims.add('lead', client, '');
    return true;
  });
  if (!missing.length) return { leadIdOf, created, createdBy };
  const rows: Insertable<LeadsTable>[] = missing.map((email) => ({
    id: newId('ld'),
    site_id: site,
    email,
    traits: toJson(firstOf.get(email)!.event.traits ?? {}),
    stage: 'lead',
    score_state: toJson(emptyState()),
    rule_version: scorer.version,
    engagement: 0,
    engagement_at: 0,
    fit: 0,
    created_at: now,
    updated_at: now,
    merged_into: null,
  }));
  const inserted = await trx
    .insertInto('leads')
    .values(rows)
    .onConflict((oc) => oc.columns(['site_id', 'email']).doNothing())
    .returning(['id', 'email'])
    .execute();
  for (const row of inserted) {
    leadIdOf.set(row.email, row.id);
    const { event: first, visitorId } = firstOf.get(row.email)!;
    createdBy.set(row.id, first.id);
    const { engagement, fit } = scoresAsOf(scorer, scoringOf(visitorId), first);
    created.push({ leadId: row.id, from: 'visitor', to: 'lead', at: first.ts, cause: `${first.type}:${first.name ?? 'identify'}`, engagement, fit, source: 'scoring', ruleVersion: scorer.version });
  }
  // Emails another writer created meanwhile: theirs is the lead.
  const raced = missing.filter((e) => !leadIdOf.has(e));
  if (raced.length) await byEmail(raced);
  return { leadIdOf, created, createdBy };
}

/**
 * Links visitors to the leads their forms name, in event order, under the locks the caller
 * holds (the visitors' rows and the leads'). The guardrails:
 * - a browser already linked to lead A that gives email B (a shared computer) is linked to B
 *   from that event on; A keeps everything before it, and the switch is logged;
 * - two known leads are never merged by a link (only the merge API does that);
 * - a lead with MAX_VISITORS_PER_LEAD browsers takes no more, and says why in the log.
 * Writes in one statement per table. Returns the leads whose events changed (to be replayed).
 *
 * @example
 * const relinked = await linkVisitorsToLeads(trx, { site, identities, leadIdOf, leads, links, now });
 */
export async function linkVisitorsToLeads(
  trx: Kysely<Database>,
  {
    site,
    identities,
    traitEvents = [],
    leadIdOf,
    leads,
    links,
    now,
    createdBy = new Map(),
    claims,
  }: {
    site: string;
    identities: IdentityEvent[];
    /** Events that give traits but name nobody: a linked browser's change its lead's traits as guarded. */
    traitEvents?: TraitEvent[];
    leadIdOf: Map<string, string>;
    leads: Map<string, Lead>;
    links: Map<string, Link>;
    now: number;
    createdBy?: Map<string, string>;
    claims?: ClaimBook;
  },
): Promise<Set<string>> {
  const relinked = new Set<string>();
  if (!identities.length && !traitEvents.length) return relinked;
  const targetIds = [...new Set(identities.map((i) => survivorOf(leads, leadIdOf.get(i.email)!)?.id).filter((id): id is string => !!id))];
  /** The lead a trait event's browser is linked to at that event, as the links stand now. */
  const leadOfTraitEvent = ({ event, visitorId }: TraitEvent) => {
    const link = links.get(visitorId);
    return link && event.ts >= link.from_ts ? survivorOf(leads, link.lead_id) : undefined;
  };
  const traitLeadIds = traitEvents.flatMap((t) => {
    const id = links.get(t.visitorId)?.lead_id;
    return id ? [survivorOf(leads, id)?.id ?? id] : [];
  });
  const counts = new Map<string, number>();
  if (targetIds.length) {
    const rows = await trx.selectFrom('lead_visitors').select(['lead_id', (eb) => eb.fn.countAll<number>().as('n')]).where('lead_id', 'in', targetIds).groupBy('lead_id').execute();
    for (const r of rows) counts.set(r.lead_id, Number(r.n));
  }
  const changedLinks = new Map<string, Selectable<LeadVisitorsTable>>();
  /** Claimants a trusted source has now linked too: they may change traits from here on. */
  const vouched: string[] = [];
  const pastLinks: PastLinksTable[] = [];
  const log: IdentityLogTable[] = [];
  const entry = (e: Omit<IdentityLogTable, 'id' | 'site_id'>) => log.push({ id: newId('id'), site_id: site, ...e });
  const traitChanges: TraitChangesTable[] = [];
  const sanitised = new Set<ScoredEvent>();
  const traitsNow = new Map<string, LeadTraits>();
  const traitsOf = (lead: Lead) => traitsNow.get(lead.id) ?? traitsNow.set(lead.id, fromJson(lead.traits)).get(lead.id)!;
  // Traits a trusted source (an API key's holder) set: no browser changes them after.
  const trustedTraits = new Map<string, Set<string>>();
  const guardedIds = [...new Set([...targetIds, ...traitLeadIds])];
  if (guardedIds.length) {
    const set = await trx.selectFrom('trait_changes').select(['lead_id', 'trait']).where('lead_id', 'in', guardedIds).where('accepted', '=', 1).where('source', 'like', 'api:%').execute();
    for (const r of set) trustedTraits.set(r.lead_id, (trustedTraits.get(r.lead_id) ?? new Set()).add(r.trait));
  }

  /** What the event may change of the lead's traits (`guardTraits`); refused values leave the event, so replays agree. */
  const applyTraits = (lead: Lead, event: ScoredEvent, visitorId: string, owns: boolean, trusted = false) => {
    const current = traitsOf(lead);
    const locked = trustedTraits.get(lead.id) ?? new Set<string>();
    const { kept, decisions } = guardTraits(current, event.traits ?? {}, owns || trusted, trusted ? new Set() : locked);
    for (const d of decisions) {
      const source = `${trusted ? 'api:' : ''}${event.type === 'identify' ? 'identify' : `${event.type}:${event.name ?? ''}`}`;
      traitChanges.push({ id: newId('tc'), lead_id: lead.id, trait: d.trait, value: d.value, previous: d.previous, source, visitor_id: visitorId, accepted: d.accepted ? 1 : 0, at: event.ts });
      if (d.accepted) current[d.trait] = d.value;
      if (d.accepted && trusted) trustedTraits.set(lead.id, locked.add(d.trait));
    }
    if (decisions.some((d) => !d.accepted)) {
      event.traits = kept;
      sanitised.add(event);
    }
  };

  // Identities and trait events in scoring order: a form without an email right after a claim
  // in one batch is the claimant's.
  const steps: Array<IdentityEvent | TraitEvent> = [...identities, ...traitEvents].sort((a, b) => a.event.ts - b.event.ts || (a.event.id < b.event.id ? -1 : a.event.id > b.event.id ? 1 : 0));
  for (const step of steps) {
    if (!('email' in step)) {
      const lead = leadOfTraitEvent(step);
      if (!lead) continue;
      const { event, visitorId, trusted } = step;
      // Only a form or identify that carries the lead's email names it: another email (mistyped, junk) changes nothing.
      if (event.traits?.email) {
        const { email: _other, ...rest } = event.traits;
        event.traits = rest;
        sanitised.add(event);
      }
      applyTraits(lead, event, visitorId, links.get(visitorId)!.owns_traits === 1 && !guessable(visitorId), trusted);
      continue;
    }
    const { event, visitorId, email, clientKey, trusted } = step;
    const lead = survivorOf(leads, leadIdOf.get(email) ?? '');
    if (!lead) continue;
    const link = links.get(visitorId);
    if (link?.lead_id === lead.id) {
      // Linked already: it changes known traits only if it made the lead (or a trusted source
      // linked it). A browser linked by claiming the email stays a claimant on later requests,
      // until a trusted source (a CRM naming this browser) vouches for it.
      if (trusted && link.owns_traits !== 1) {
        link.owns_traits = 1;
        vouched.push(visitorId);
      }
      applyTraits(lead, event, visitorId, link.owns_traits === 1 && !guessable(visitorId), trusted);
      continue;
    }
    const creator = createdBy.get(lead.id) === event.id;
    const count = counts.get(lead.id) ?? 0;
    if (count >= MAX_VISITORS_PER_LEAD) {
      entry({ visitor_id: visitorId, lead_id: lead.id, other_lead_id: null, kind: 'refused', detail: `the lead already has ${MAX_VISITORS_PER_LEAD} browsers: not linking more`, at: event.ts });
      continue;
    }
    if (!creator && clientKey && claims) {
      if (claims.linksTo(clientKey, lead.id) >= MAX_NEW_BROWSERS_PER_LEAD_PER_CLIENT_PER_HOUR) {
        entry({ visitor_id: visitorId, lead_id: lead.id, other_lead_id: null, kind: 'refused', detail: `one client linked ${MAX_NEW_BROWSERS_PER_LEAD_PER_CLIENT_PER_HOUR} new browsers to this lead within the hour: not linking more from it`, at: event.ts });
        continue;
      }
      claims.add('link', clientKey, lead.id);
    }
    applyTraits(lead, event, visitorId, creator && !guessable(visitorId), trusted);
    let next: Selectable<LeadVisitorsTable>;
    if (link) {
      // A shared computer: the earlier lead keeps its past, the new one gets what follows.
      pastLinks.push({ site_id: site, visitor_id: visitorId, lead_id: link.lead_id, from_ts: link.from_ts, until_ts: event.ts, owns_traits: link.owns_traits });
      next = { site_id: site, visitor_id: visitorId, lead_id: lead.id, from_ts: event.ts, linked_at: now, owns_traits: (creator && !guessable(visitorId)) || trusted ? 1 : 0 };
      entry({ visitor_id: visitorId, lead_id: lead.id, other_lead_id: link.lead_id, kind: 'switched', detail: `this browser was linked to ${link.lead_id}; from this event on it counts for ${lead.id}`, at: event.ts });
      counts.set(link.lead_id, (counts.get(link.lead_id) ?? 1) - 1);
      relinked.add(link.lead_id);
    } else {
      next = { site_id: site, visitor_id: visitorId, lead_id: lead.id, from_ts: 0, linked_at: now, owns_traits: (creator && !guessable(visitorId)) || trusted ? 1 : 0 };
      entry({ visitor_id: visitorId, lead_id: lead.id, other_lead_id: null, kind: 'linked', detail: `linked by ${event.type} ${event.name ?? ''}`.trim(), at: event.ts });
    }
    counts.set(lead.id, count + 1);
    links.set(visitorId, next);
    changedLinks.set(visitorId, next);
    relinked.add(lead.id);
  }

  if (changedLinks.size) {
    await trx
      .insertInto('lead_visitors')
      .values([...changedLinks.values()])
      .onConflict((oc) => oc.columns(['site_id', 'visitor_id']).doUpdateSet((eb) => ({ lead_id: eb.ref('excluded.lead_id'), from_ts: eb.ref('excluded.from_ts'), linked_at: eb.ref('excluded.linked_at'), owns_traits: eb.ref('excluded.owns_traits') })))
      .execute();
  }
  if (vouched.length) await trx.updateTable('lead_visitors').set({ owns_traits: 1 }).where('site_id', '=', site).where('visitor_id', 'in', vouched).execute();
  if (pastLinks.length) await trx.insertInto('past_links').values(pastLinks).execute();
  if (log.length) await trx.insertInto('identity_log').values(log).execute();
  if (traitChanges.length) await trx.insertInto('trait_changes').values(traitChanges).execute();
  // Forms are rare beside page views: one small update each whose traits were refused.
  for (const e of sanitised) await trx.updateTable('events').set({ traits: toJsonOrNull(e.traits) }).where('site_id', '=', site).where('id', '=', e.id).execute();
  await claims?.save(trx);
  return relinked;
}
