import { describe, expect, it } from 'vitest';
import { SESSION_TIMEOUT_MS, makeId, touchVisit } from './visit.js';

let n = 0;
const ids = () => `id${++n}`;

describe('touchVisit', () => {
  it('makes a new visitor on visit 1', () => {
    expect(touchVisit(undefined, 1000, ids)).toMatchObject({ n: 1, t: 1000 });
  });

  it('keeps the session while activity continues within 30 minutes', () => {
    const first = touchVisit(undefined, 0, ids);
    const later = touchVisit(first, SESSION_TIMEOUT_MS, ids);
    expect(later).toEqual({ ...first, t: SESSION_TIMEOUT_MS });
    // Activity slides the window: 25 + 25 minutes is still one visit.
    const a = touchVisit(first, 25 * 60_000, ids);
    expect(touchVisit(a, 50 * 60_000, ids).s).toBe(first.s);
  });

  it('starts the next visit after 30 minutes idle, with the same visitor and a new session', () => {
    const first = { ...touchVisit(undefined, 0, ids), c: { source: 'news' } };
    const second = touchVisit(first, SESSION_TIMEOUT_MS + 1, ids);
    expect(second.v).toBe(first.v);
    expect(second.s).not.toBe(first.s);
    expect(second.n).toBe(2);
    expect(second.c).toBeUndefined();
    expect(touchVisit(second, 2 * SESSION_TIMEOUT_MS + 2, ids).n).toBe(3);
  });

  it('treats a corrupt record as a new visit rather than failing', () => {
    expect(touchVisit({ v: 'x', s: 'y', n: 1, t: Number.NaN }, 5, ids)).toMatchObject({ v: 'x', n: 2 });
  });
});

describe('makeId', () => {
  it('makes ids the ingest accepts, different every time', () => {
    const many = new Set(Array.from({ length: 1000 }, makeId));
    expect(many.size).toBe(1000);
    for (const id of many) expect(id).toMatch(/^[0-9a-z]{8,64}$/);
  });
});
