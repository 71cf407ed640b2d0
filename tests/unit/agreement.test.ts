import { describe, expect, it } from 'vitest';
import { agreedLength, commonPrefixLength, isCutPoint } from '../../src/domain/transcript/agreement';

/**
 * A toy byte-level vocabulary: each id stands for a byte string, decoded as UTF-8 the way the
 * real tokenizer does (a token holding half a character decodes to U+FFFD).
 */
const enc = new TextEncoder();
const pieces: Uint8Array[] = [];
const id = (bytes: Uint8Array) => pieces.push(bytes) - 1;
const tok = (s: string) => id(enc.encode(s));
const decode = (ids: readonly number[]) => {
  const bytes = ids.flatMap((i) => [...pieces[i]]);
  return new TextDecoder().decode(new Uint8Array(bytes));
};

const THE = tok(' the');
const QUICK = tok(' quick');
const BR = tok(' br');
const OWN = tok('own');
const OOK = tok('ook');
const FOX = tok(' fox');
const COMMA = tok(',');
// 你好 = E4 BD A0 E5 A5 BD: split mid-character the way byte-level BPE does.
const NI_A = id(new Uint8Array([0xe4, 0xbd]));
const NI_B = id(new Uint8Array([0xa0]));
const HAO = id(new Uint8Array([0xe5, 0xa5, 0xbd]));

describe('LocalAgreement', () => {
  it('settles the words two passes agree on and nothing after', () => {
    expect(agreedLength([THE, QUICK, BR, OWN], [THE, QUICK, BR, OWN, FOX], decode)).toBe(4);
    expect(agreedLength([THE, QUICK, FOX], [THE, QUICK, BR, OWN, FOX], decode)).toBe(2);
    expect(agreedLength([QUICK], [THE, QUICK], decode)).toBe(0);
  });

  it('never settles half a word', () => {
    // Both passes say " br…" but disagree on how the word ends: " br" alone is not settled.
    expect(agreedLength([THE, BR, OWN], [THE, BR, OOK], decode)).toBe(1);
    expect(isCutPoint([THE, BR, OWN], 2, decode)).toBe(false);
    expect(isCutPoint([THE, BR, OWN], 1, decode)).toBe(true);
    expect(isCutPoint([THE, FOX, COMMA], 2, decode)).toBe(true);
  });

  it('never splits a Chinese character across tokens, but cuts between characters', () => {
    expect(decode([NI_A, NI_B, HAO])).toBe('你好');
    expect(isCutPoint([NI_A, NI_B, HAO], 1, decode)).toBe(false);
    expect(isCutPoint([NI_A, NI_B, HAO], 2, decode)).toBe(true);
    expect(agreedLength([NI_A, NI_B, HAO], [NI_A, NI_B, NI_A], decode)).toBe(2);
    expect(agreedLength([NI_A, HAO], [NI_A, NI_B], decode)).toBe(0);
  });

  it('compares token ids', () => {
    expect(commonPrefixLength([1, 2, 3], [1, 2, 4])).toBe(2);
    expect(commonPrefixLength([], [1])).toBe(0);
  });
});
