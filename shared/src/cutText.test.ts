import { describe, expect, it } from 'vitest';
import { cutText } from './cutText.js';

const ROCKET = '\ud83d\ude80';
const LONE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe('cutText', () => {
  it('drops an emoji whole when the cut falls between its halves', () => {
    expect(cutText('ab' + ROCKET, 3)).toBe('ab');
    expect(cutText('a'.repeat(199) + ROCKET, 200)).toBe('a'.repeat(199));
    expect(cutText(ROCKET, 1)).toBe('');
  });

  it('keeps an emoji that fits, and cuts after it as slice does', () => {
    expect(cutText('ab' + ROCKET, 4)).toBe('ab' + ROCKET);
    expect(cutText('ab' + ROCKET + 'cd', 5)).toBe('ab' + ROCKET + 'c');
    expect(cutText(ROCKET + ROCKET, 2)).toBe(ROCKET);
  });

  it('returns text that fits unchanged, and cuts plain text as slice does', () => {
    expect(cutText('', 5)).toBe('');
    expect(cutText('hello', 5)).toBe('hello');
    expect(cutText('hello', 3)).toBe('hel');
    expect(cutText('hello', 0)).toBe('');
    expect(cutText('\u00e9t\u00e9', 2)).toBe('\u00e9t');
  });

  it('never leaves a lone surrogate, nor more than max code units, wherever it cuts', () => {
    const text = 'x' + ROCKET + '\u4e2d' + ROCKET + ROCKET + 'y' + '\ud834\udd1e';
    for (let max = 0; max <= text.length + 1; max++) {
      const cut = cutText(text, max);
      expect(cut).not.toMatch(LONE);
      expect(cut.length).toBeLessThanOrEqual(max);
      expect(cut.length).toBeGreaterThanOrEqual(Math.min(max, text.length) - 1);
      expect(text.startsWith(cut)).toBe(true);
    }
  });
});
