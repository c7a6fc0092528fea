/**
 * How a leadbeam lead becomes a CRM contact: HubSpot-style contact properties (lowercase
 * names, the lifecycle stage values HubSpot uses). Pure, so the mapping is tested on its own.
 */

/** The part of a leadbeam webhook body this recipe reads (see the README's webhook section). */
export interface LeadbeamDelivery {
  id: string;
  type: string;
  site: string;
  lead: {
    id: string;
    email: string;
    stage: string;
    traits: Record<string, string | undefined>;
    score: { engagement: number; fit: number; total: number };
  };
  change?: { from: string; to: string; cause: string; at: string };
  topReasons?: Array<{ rule: string; points: number }>;
}

/** leadbeam's stages in HubSpot's `lifecyclestage` vocabulary. */
const LIFECYCLE: Record<string, string> = {
  lead: 'lead',
  mql: 'marketingqualifiedlead',
  sql: 'salesqualifiedlead',
  opportunity: 'opportunity',
  customer: 'customer',
  recycled: 'lead',
  disqualified: 'other',
};

const split = (name?: string) => {
  const [first, ...rest] = (name ?? '').trim().split(/\s+/);
  return { first: first || undefined, last: rest.join(' ') || undefined };
};

/**
 * The contact a CRM upserts by email when a lead is handed over.
 *
 * @example
 * toCrmContact(delivery) // { email: 'ana@fernhill.example', properties: { lifecyclestage: 'marketingqualifiedlead', … } }
 */
export function toCrmContact(delivery: LeadbeamDelivery) {
  const { lead } = delivery;
  const name = split(lead.traits.name);
  const properties: Record<string, string | number> = {
    email: lead.email,
    lifecyclestage: LIFECYCLE[lead.stage] ?? 'lead',
    hs_lead_status: lead.stage === 'sql' ? 'OPEN_DEAL' : 'NEW',
    leadbeam_lead_id: lead.id,
    leadbeam_score: lead.score.total,
    leadbeam_fit: lead.score.fit,
    leadbeam_engagement: lead.score.engagement,
  };
  const traits: Array<[string, string | undefined]> = [
    ['firstname', lead.traits.firstName ?? name.first],
    ['lastname', lead.traits.lastName ?? name.last],
    ['company', lead.traits.company],
    ['jobtitle', lead.traits.jobTitle],
    ['phone', lead.traits.phone],
    ['country', lead.traits.country],
    ['industry', lead.traits.industry],
    ['numemployees', lead.traits.companySize],
  ];
  for (const [key, value] of traits) if (value) properties[key] = value;
  if (delivery.topReasons?.length) properties.leadbeam_why = delivery.topReasons.map((r) => `${r.rule} ${r.points > 0 ? '+' : ''}${r.points}`).join(', ');
  return { email: lead.email, properties };
}
