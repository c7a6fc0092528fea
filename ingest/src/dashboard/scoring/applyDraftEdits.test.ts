import { describe, expect, it } from 'vitest';
import { TEST_SCORING } from '../../../../test/support/ingest.js';
import { scoringSchema } from '../../scoring/rulesSchema.js';
import { applyDraftEdits, readDraftEdits } from './applyDraftEdits.js';

const rules = scoringSchema.parse(TEST_SCORING);

describe('the draft form', () => {
  it('reads thresholds, half-life and points as numbers, leaving empty fields and other fields alone', () => {
    const read = readDraftEdits({ mqlEngagement: '50', mqlFit: '', halfLifeDays: ' 14 ', 'points.pricing': '-3.5', _csrf: 'x', rules: '{}' });
    expect(read).toEqual({ edits: { mqlEngagement: 50, halfLifeDays: 14, points: new Map([['pricing', -3.5]]) } });
    expect(readDraftEdits({ 'points.pricing': 'ten' })).toEqual({ field: 'points.pricing', message: 'points.pricing: "ten" is not a number' });
    // Only decimal numbers a person types, within reach of any score.
    expect(readDraftEdits({ 'points.pricing': '0x10' })).toMatchObject({ field: 'points.pricing' });
    expect(readDraftEdits({ mqlEngagement: 'Infinity' })).toMatchObject({ field: 'mqlEngagement' });
    expect(readDraftEdits({ mqlEngagement: '1e308' })).toEqual({ field: 'mqlEngagement', message: 'mqlEngagement: 1e308 is beyond ±1,000,000,000' });
    expect(readDraftEdits({ mqlEngagement: '-2.5e1' })).toEqual({ edits: { mqlEngagement: -25, points: new Map() } });
    // A field left as it was shown changes nothing.
    expect(readDraftEdits({ mqlEngagement: '60', 'was.mqlEngagement': '60' })).toEqual({ edits: { points: new Map() } });
  });

  it('applies what changed to a copy and says so; the rules given stay as they were', () => {
    const pricing = rules.engagement.find((r) => r.id === 'pricing')!;
    const { rules: next, changes } = applyDraftEdits(rules, { mqlEngagement: rules.thresholds.mql.engagement + 5, points: new Map([['pricing', pricing.points + 2], ['no-such-rule', 9]]) });
    expect(next.thresholds.mql.engagement).toBe(rules.thresholds.mql.engagement + 5);
    expect(next.engagement.find((r) => r.id === 'pricing')!.points).toBe(pricing.points + 2);
    expect(changes).toEqual([`MQL engagement threshold ${rules.thresholds.mql.engagement} → ${rules.thresholds.mql.engagement + 5}`, `pricing points ${pricing.points} → ${pricing.points + 2}`]);
    expect(rules.engagement.find((r) => r.id === 'pricing')!.points).toBe(pricing.points);
    // The same values change nothing; points of a rule the draft no longer has are named, not applied.
    expect(applyDraftEdits(rules, { mqlEngagement: rules.thresholds.mql.engagement, points: new Map([['pricing', pricing.points]]) }).changes).toEqual([]);
    expect(applyDraftEdits(rules, { points: new Map([['no-such-rule', 9]]) })).toMatchObject({ changes: [], unknown: ['no-such-rule'] });
  });
});
