import { describe, expect, it } from 'vitest';
import { autoDecodingMode } from '../../src/domain/models/decoding-mode';

// The evidence is docs/accuracy.md's "Precisions" table; this pins the choice it led to.
describe('Auto decoding mode', () => {
  it('decodes timestamps in every window for multilingual models on Fast', () => {
    expect(autoDecodingMode(true, 'fast')).toBe('timestamps');
  });
  it('keeps text-only windows for English-only models and for Best', () => {
    expect(autoDecodingMode(false, 'fast')).toBe('text-where-possible');
    expect(autoDecodingMode(true, 'best')).toBe('text-where-possible');
    expect(autoDecodingMode(false, 'best')).toBe('text-where-possible');
  });
});
