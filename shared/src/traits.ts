import { cutText } from './cutText.js';
import { TRAIT_NAMES, type LeadTraits } from './types.js';

/**
 * Common form field names (lowercased, letters and digits only) → the lead trait they hold.
 * The script sends only fields whose names match its `TRAIT_FIELD` rule (a test keeps the two
 * in step); here they get their trait.
 */
export const TRAIT_ALIASES: Record<string, keyof LeadTraits> = {
  email: 'email', mail: 'email', emailaddress: 'email', mailaddress: 'email',
  name: 'name', fullname: 'name',
  firstname: 'firstName', fname: 'firstName',
  lastname: 'lastName', lname: 'lastName', surname: 'lastName',
  company: 'company', companyname: 'company', organization: 'company', organisation: 'company',
  title: 'jobTitle', jobtitle: 'jobTitle', role: 'jobTitle',
  companysize: 'companySize', employees: 'companySize',
  industry: 'industry',
  country: 'country',
  phone: 'phone', tel: 'phone', mobile: 'phone',
};

const normalise = (field: string) => field.toLowerCase().replace(/[\W_]/g, '');

/**
 * Maps what a form or `identify` sent onto lead traits: known trait names and field-name
 * aliases are kept (trimmed, at most 200 characters, emails 320, never cut inside an emoji:
 * `cutText`), empty values and other keys are dropped.
 *
 * @example
 * mapTraits({ work_email: ' Ana@Example.com ', job_title: 'CFO', message: 'hi' })
 * // { email: 'Ana@Example.com', jobTitle: 'CFO' }
 */
export function mapTraits(fields: Record<string, unknown>): LeadTraits {
  const traits: LeadTraits = {};
  for (const [field, raw] of Object.entries(fields)) {
    const alias = normalise(field).replace(/^(work|business|your)(?=.)/, '');
    // Own keys only: a field named `constructor` or `toString` must not find Object's.
    const trait = (TRAIT_NAMES as readonly string[]).includes(field) ? (field as keyof LeadTraits) : Object.hasOwn(TRAIT_ALIASES, alias) ? TRAIT_ALIASES[alias] : undefined;
    if (!trait || raw === null || raw === undefined || typeof raw === 'object') continue;
    const value = cutText(String(raw).trim(), trait === 'email' ? 320 : 200);
    if (value) traits[trait] = value;
  }
  return traits;
}
