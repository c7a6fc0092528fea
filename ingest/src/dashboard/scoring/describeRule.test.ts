import { expect, it } from 'vitest';
import { describeRule } from './describeRule.js';

it('says in words what a rule matches, including that only a server may send its event', () => {
  expect(describeRule({ id: 'meeting-booked', match: { type: 'track', name: 'Meeting Booked', sentBy: 'server' }, points: 30, limit: 'once', qualifies: 'sql' })).toEqual({
    matches: 'track, name Meeting Booked, sent by a server with a secret key → SQL at once',
    limit: 'once',
  });
  expect(describeRule({ id: 'pricing', match: { type: 'pageview', category: 'pricing' }, points: 5, limit: 'oncePerVisit' })).toEqual({ matches: 'pageview, category pricing', limit: 'once a visit' });
});
