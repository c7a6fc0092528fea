import { READABLE_TYPES, SENSITIVE_NAME, looksSensitive } from '../../shared/src/sensitive.js';

/**
 * Field names (lowercased, letters and digits only) a form may share without markup: the
 * common names of lead traits. The ingest maps each onto its trait.
 */
export const TRAIT_FIELD = /^(e?mail(address)?|(full|first|last|[fl])?name|surname|company(name|size)?|organi[sz]ation|(job)?title|role|employees|industry|country|phone|tel|mobile)$/;

/**
 * Reads what a submitted form may share: only fields that hold a lead trait (a common name,
 * `type="email"`, or `data-leadbeam-field="trait"`), keyed by that name, of a type a person
 * types or chooses in, and never a card-like or excluded (`data-leadbeam-exclude`) field, nor
 * a value that looks like a card or social security number.
 *
 * @example
 * readForm(document.querySelector('form')!) // { name: 'demo-request', traits: { email: 'ana@…' } }
 */
export function readForm(form: HTMLFormElement): { name: string; traits?: Record<string, string> } {
  let traits: Record<string, string> | undefined;
  for (const el of form.elements as unknown as HTMLInputElement[]) {
    const { name, id, type } = el;
    const value = el.value?.trim();
    const normal = (name || id).toLowerCase().replace(/[\W_]/g, '');
    const trait = el.getAttribute('data-leadbeam-field') || (type == 'email' ? 'email' : TRAIT_FIELD.test(normal) && normal);
    if (
      trait &&
      value &&
      READABLE_TYPES.test(type) &&
      !SENSITIVE_NAME.test(`${name} ${id} ${el.autocomplete}`) &&
      !el.closest('[data-leadbeam-exclude]') &&
      !looksSensitive(value)
    )
      (traits ||= {})[trait] = value;
  }
  // By attribute: a field named "id" or "action" would stand in for the form's own property.
  return { name: form.getAttribute('id') || new URL(form.getAttribute('action') || '', location.href).pathname, traits };
}
