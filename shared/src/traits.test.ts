import { describe, expect, it } from 'vitest';
import { mapTraits } from './traits.js';

describe('mapTraits', () => {
  it('maps field names and their aliases onto traits, trimmed, dropping other fields and empty values', () => {
    expect(mapTraits({ work_email: ' Ana@Example.com ', 'Job Title': 'CFO', your_company: 'Fernhill', message: 'hi', phone: '', industry: null })).toEqual({
      email: 'Ana@Example.com',
      jobTitle: 'CFO',
      company: 'Fernhill',
    });
  });

  it("drops fields named after Object's own members (constructor, toString, __proto__) instead of storing them as a trait", () => {
    const fields = JSON.parse('{"email":"ana@fernhill.example","constructor":"X","workConstructor":"Y","toString":"Z","hasOwnProperty":"W","__proto__":"P","valueOf":"V"}');
    const traits = mapTraits(fields);
    expect(traits).toEqual({ email: 'ana@fernhill.example' });
    expect(Object.keys(traits)).toEqual(['email']);
  });
});
