import { afterEach, describe, expect, it } from 'vitest';
import { TRAIT_ALIASES } from '../../shared/src/traits.js';
import { TRAIT_FIELD, readForm } from './forms.js';
import { looksSensitive } from '../../shared/src/sensitive.js';

const formOf = (html: string, attrs = 'id="signup" action="/thanks"') => {
  document.body.innerHTML = `<form ${attrs}>${html}</form>`;
  return document.querySelector('form')!;
};

afterEach(() => {
  document.body.innerHTML = '';
});

describe('readForm', () => {
  it('reads the demo request form: email, name, company, job title and company size', () => {
    const form = formOf(`
      <input type="email" name="work_email_field" value=" ana@fernhill.example ">
      <input name="name" value="Ana Kovač">
      <input name="Company" value="Fernhill Foods">
      <input name="job_title" value="Controller">
      <select name="company-size"><option value="1-10">1-10</option><option value="51-200" selected>51-200</option></select>
      <textarea name="message">Call me</textarea>
      <button type="submit" name="title" value="Send">Send</button>`);
    expect(readForm(form)).toEqual({
      name: 'signup',
      traits: { email: 'ana@fernhill.example', name: 'Ana Kovač', company: 'Fernhill Foods', jobtitle: 'Controller', companysize: '51-200' },
    });
  });

  it('never reads passwords, hidden, file, checkbox or radio fields, whatever their names', () => {
    const form = formOf(`
      <input type="password" name="email" value="hunter2">
      <input type="hidden" name="name" value="secret-token">
      <input type="file" name="company">
      <input type="checkbox" name="country" value="DE" checked>
      <input type="radio" name="role" value="cfo" checked>`);
    expect(readForm(form).traits).toBeUndefined();
  });

  it('sends only fields the site allows: common trait names or markup', () => {
    const form = formOf(`
      <input name="budget" value="50k">
      <input name="comments" value="hello">
      <input name="username" value="ana">
      <input name="position_held" data-leadbeam-field="jobTitle" value="CFO">`);
    expect(readForm(form).traits).toEqual({ jobTitle: 'CFO' });
  });

  it.each([
    ['name="cc_number"', 'data-leadbeam-field="phone" value="4111 1111 1111 1111"'],
    ['name="card-number" data-leadbeam-field="name"', 'value="x"'],
    ['name="cvc" data-leadbeam-field="name"', 'value="123"'],
    ['name="cvv" data-leadbeam-field="name"', 'value="123"'],
    ['name="exp_month" data-leadbeam-field="name"', 'value="12"'],
    ['name="pass_code" data-leadbeam-field="name"', 'value="x"'],
    ['name="ssn" data-leadbeam-field="name"', 'value="x"'],
    ['name="iban" data-leadbeam-field="name"', 'value="DE89370400440532013000"'],
    ['name="routing_number" data-leadbeam-field="name"', 'value="x"'],
    ['name="security_code" data-leadbeam-field="name"', 'value="x"'],
    ['name="name" autocomplete="cc-name"', 'value="Ana Kovac"'],
    ['name="name" id="ccname"', 'value="Ana Kovac"'],
  ])('never sends a card-like or secret field (%s)', (field, rest) => {
    expect(readForm(formOf(`<input ${field} ${rest}>`)).traits).toBeUndefined();
  });

  it.each([['4111 1111 1111 1111'], ['4111-1111-1111-1111'], ['378282246310005'], ['123-45-6789'], ['123456789'], ['4111111111111111 '], [' 123-45-6789']])(
    'never sends a value that looks like a card or social security number (%s), even in an allowed field',
    (value) => {
      expect(readForm(formOf(`<input name="phone" value="${value}">`)).traits).toBeUndefined();
    },
  );

  it('keeps ordinary phone numbers', () => {
    for (const phone of ['+44 20 7946 0000', '020 7946 0000', '(555) 123-4567', '+1-555-123-4567']) {
      expect(looksSensitive(phone), phone).toBe(false);
    }
  });

  it('leaves out fields inside anything marked data-leadbeam-exclude, and whole excluded forms', () => {
    const form = formOf(`<input name="email" value="a@b.example"><fieldset data-leadbeam-exclude><input name="phone" value="+44 1"></fieldset>`);
    expect(readForm(form).traits).toEqual({ email: 'a@b.example' });
    expect(readForm(formOf('<input name="email" value="a@b.example">', 'data-leadbeam-exclude action="/x"')).traits).toBeUndefined();
    expect(readForm(formOf('<input name="email" value="a@b.example" data-leadbeam-exclude>')).traits).toBeUndefined();
  });

  it('names the form by its id, else by the path it posts to', () => {
    expect(readForm(formOf('', 'action="/subscribe?x=1"')).name).toBe('/subscribe');
  });

  it('names the form by its own attributes, not by fields named "id" or "action" (WordPress forms have both)', () => {
    const hidden = '<input type="hidden" name="action" value="subscribe"><input type="hidden" name="id" value="42"><input name="email" value="a@b.example">';
    expect(readForm(formOf(hidden, 'action="/wp-admin/admin-ajax.php"'))).toEqual({ name: '/wp-admin/admin-ajax.php', traits: { email: 'a@b.example' } });
    expect(readForm(formOf(hidden, 'id="newsletter"')).name).toBe('newsletter');
    // No action: the form posts to the page it is on.
    expect(readForm(formOf(hidden, '')).name).toBe(location.pathname);
  });

  it('skips empty fields', () => {
    expect(readForm(formOf('<input name="email" value="  "><input name="company" value="">')).traits).toBeUndefined();
  });
});

describe('field names the script may send and the ingest maps', () => {
  it('agree: every alias the ingest maps is one the script sends, and the other way round', () => {
    for (const alias of Object.keys(TRAIT_ALIASES)) expect(TRAIT_FIELD.test(alias), alias).toBe(true);
    for (const name of ['email', 'mail', 'emailaddress', 'name', 'fullname', 'firstname', 'lname', 'surname', 'company', 'companyname', 'companysize', 'organisation', 'organization', 'title', 'jobtitle', 'role', 'employees', 'industry', 'country', 'phone', 'tel', 'mobile']) {
      expect(TRAIT_FIELD.test(name), name).toBe(true);
      expect(TRAIT_ALIASES[name], name).toBeDefined();
    }
  });
});
