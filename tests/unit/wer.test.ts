import { describe, expect, it } from 'vitest';
import { editDistance, normalise, wer } from '../fixtures/wer';

describe('WER (the yardstick the e2e tests use)', () => {
  it('ignores case and punctuation', () => {
    expect(normalise('Hello, World!  Is it 9?')).toEqual(['hello', 'world', 'is', 'it', '9']);
  });
  it('counts substitutions, insertions and deletions', () => {
    expect(editDistance(['a', 'b', 'c'], ['a', 'x', 'c', 'd'])).toBe(2);
    expect(wer([{ reference: 'a b c d', hypothesis: 'a c d' }, { reference: 'e f', hypothesis: 'e f' }])).toBeCloseTo(1 / 6);
  });
});
