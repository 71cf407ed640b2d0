import { describe, expect, it } from 'vitest';
import { editDistance, normalise, wer } from '../fixtures/wer';

describe('WER (the yardstick the e2e tests use)', () => {
  it('ignores case and punctuation', () => {
    expect(normalise('Hello, World!  Is it 9?')).toEqual(['hello', 'world', 'is', 'it', '9']);
  });
  it('counts each Chinese character as a word', () => {
    expect(normalise('我们明天去北京。')).toEqual(['我', '们', '明', '天', '去', '北', '京']);
    expect(normalise('Team 9 在 北京')).toEqual(['team', '9', '在', '北', '京']);
  });
  it('counts substitutions, insertions and deletions', () => {
    expect(editDistance(['a', 'b', 'c'], ['a', 'x', 'c', 'd'])).toBe(2);
    expect(wer([{ reference: 'a b c d', hypothesis: 'a c d' }, { reference: 'e f', hypothesis: 'e f' }])).toBeCloseTo(1 / 6);
  });
});
