import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { newId } from '../../../test/support/ingest.js';
import { toJson } from '../db/json.js';
import type { EventsTable } from '../db/schema.js';
import { normaliseEmail } from '../leads/email.js';
import { eventsNaming, likePatternOf } from './eventsNaming.js';

describeEachDialect('events naming an email', (getDb) => {
  const event = (email: string, type: EventsTable['type'] = 'form', site = 'scored'): EventsTable => {
    const id = newId();
    return { site_id: site, id, visitor_id: `v_${id}`, session_id: `s_${id}`, type, name: null, ts: Date.now(), client_ts: Date.now(), received_at: Date.now(), visit: 1, url: 'https://x.example/', path: '/', referrer: null, title: null, stage: null, category: null, campaign: null, props: null, traits: toJson({ email, company: 'Fernhill' }), trusted: 0 };
  };

  it('finds the email however it was typed, in any event type, and nothing else', async () => {
    const tag = newId();
    // As stored: trimmed, in the case typed, with letters that lowercase into the address
    // (U+212A, the Kelvin sign, is "k"; "İ" is "i̇") and LIKE's own wildcards in it.
    const spellings = [`Ana_K%${tag}@Fernhill.Example`, `ana_\u212A%${tag}@fernhill.example`];
    const odd = `Ünal.İ-${tag}@fernhill.example`;
    const wanted = [normaliseEmail(spellings[0])!, normaliseEmail(odd)!];
    expect(normaliseEmail(spellings[1])).toBe(wanted[0]);
    const named = [event(spellings[0]!), event(spellings[1]!, 'track'), event(odd, 'pageview'), event(wanted[0]!, 'identify')];
    // Near misses: another address around the same text, and the same address on another site.
    const others = [event(`xana_k%${tag}@fernhill.example`), event(`ana_k%${tag}@fernhill.example.org`), event(`anaXk%${tag}@fernhill.example`), event(spellings[0]!, 'form', 'demo')];
    await getDb().db.insertInto('events').values([...named, ...others]).execute();
    const found = await eventsNaming(getDb().db, 'scored', wanted);
    expect(found.map((e) => e.id).sort()).toEqual(named.map((e) => e.id).sort());
    expect(await eventsNaming(getDb().db, 'scored', [])).toEqual([]);
  });

  it('builds a pattern no wider than it must be', () => {
    expect(likePatternOf('ana.kovac@fernhill.example')).toBe('%ana._ovac@fernhill.example%');
    expect(likePatternOf('a_b%c@x.example')).toBe('%a_b_c@x.example%');
    expect(likePatternOf('ünal.i\u0307@x.example')).toBe('%nal.%@x.example%');
  });
});
