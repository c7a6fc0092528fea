import { createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { LeadTraits } from '../../../shared/src/types.js';
import type { Database, IdentityClaimsTable } from '../db/schema.js';

/** Leads one client (address) may create in an hour: a form a minute, and then some. */
export const MAX_NEW_LEADS_PER_CLIENT_PER_HOUR = 30;
/**
 * New browsers one client may link to one lead in an hour. A person's own devices come from
 * their own addresses (home, office, phone network), so a burst from one client is refused
 * while the next real device still links.
 */
export const MAX_NEW_BROWSERS_PER_LEAD_PER_CLIENT_PER_HOUR = 3;
const HOUR_MS = 3_600_000;

/**
 * A client's key for the guardrails: a keyed hash of its address (HMAC with the server's
 * secret), so limits hold across processes and restarts while the address itself is never
 * stored.
 *
 * @example
 * const keyOf = createClientKey(secretKey);
 * keyOf('203.0.113.9') // 'Qm9yV…' (22 characters)
 */
export function createClientKey(secret: string) {
  return (address: string) => createHmac('sha256', secret).update(`client:${address}`).digest('base64url').slice(0, 22);
}

/** What the clients of a group did in the last hour, and what this group adds, to be saved. */
export interface ClaimBook {
  leadsCreated(client: string): number;
  linksTo(client: string, leadId: string): number;
  add(kind: IdentityClaimsTable['kind'], client: string, leadId: string): void;
  /** Writes what was added (one statement). */
  save(trx: Kysely<Database>): Promise<void>;
}

/**
 * Loads the group's clients' claims of the last hour (one query) into a book that counts on as
 * the group links and creates.
 *
 * @example
 * const claims = await loadClaims(trx, 'demo', ['Qm9yV…'], Date.now());
 */
export async function loadClaims(trx: Kysely<Database>, site: string, clients: string[], now: number): Promise<ClaimBook> {
  const counts = new Map<string, number>();
  const key = (kind: string, client: string, leadId = '') => `${kind}\u0000${client}\u0000${leadId}`;
  const bump = (k: string, n = 1) => counts.set(k, (counts.get(k) ?? 0) + n);
  if (clients.length) {
    const rows = await trx
      .selectFrom('identity_claims')
      .select(['kind', 'client_key', 'lead_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('site_id', '=', site)
      .where('client_key', 'in', clients)
      .where('at', '>', now - HOUR_MS)
      .groupBy(['kind', 'client_key', 'lead_id'])
      .execute();
    for (const r of rows) {
      bump(key(r.kind, r.client_key, r.kind === 'link' ? r.lead_id : ''), Number(r.n));
    }
  }
  const added: IdentityClaimsTable[] = [];
  return {
    leadsCreated: (client) => counts.get(key('lead', client)) ?? 0,
    linksTo: (client, leadId) => counts.get(key('link', client, leadId)) ?? 0,
    add(kind, client, leadId) {
      bump(key(kind, client, kind === 'link' ? leadId : ''));
      // A creation is counted before its lead has an id (and may lose a race): the count is what matters.
      added.push({ site_id: site, client_key: client, kind, lead_id: leadId, at: now });
    },
    async save(t) {
      if (added.length) await t.insertInto('identity_claims').values(added).execute();
    },
  };
}

export interface TraitDecision {
  trait: keyof LeadTraits;
  value: string;
  previous: string | null;
  accepted: boolean;
}

/**
 * Which of the traits a form or identify event proposes may change the lead. The lead's own
 * browsers (linked before, or the one whose form created it) may change anything; a browser
 * that only now claims a known lead's email may add what is missing but not change what is
 * known — otherwise anyone who knows an email could rewrite that person's job title and
 * company, and with them the fit score. The email itself is how the event names the lead and
 * is never a change. Traits in `locked` (set by a trusted source) change only through one, which
 * the caller passes with `owns` and an empty lock. Pure.
 *
 * @example
 * guardTraits({ jobTitle: 'CFO' }, { jobTitle: 'Intern', phone: '1' }, false)
 * // kept: { phone: '1' }; decisions: jobTitle refused, phone accepted
 */
export function guardTraits(current: LeadTraits, proposed: LeadTraits, owns: boolean, locked: ReadonlySet<string> = new Set()): { kept: LeadTraits; decisions: TraitDecision[] } {
  const kept: LeadTraits = {};
  const decisions: TraitDecision[] = [];
  for (const [name, value] of Object.entries(proposed) as Array<[keyof LeadTraits, string | undefined]>) {
    if (!value) continue;
    const previous = current[name] ?? null;
    if (name === 'email' || previous === value) {
      kept[name] = value;
      continue;
    }
    // A trait a trusted source set (a CRM through an API key) is locked against browsers.
    const accepted = (owns && !locked.has(name)) || !previous;
    if (accepted) kept[name] = value;
    decisions.push({ trait: name, value, previous, accepted });
  }
  return { kept, decisions };
}
