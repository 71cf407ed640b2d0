/**
 * LocalAgreement-2 (Macháček et al., "Turning Whisper into Real-Time Transcription System",
 * 2023): of two consecutive decodings of a growing utterance, the longest common prefix is
 * taken as settled. Here it works on token ids and is backed off to a place where a reader
 * would accept a cut: a whole character (byte-level BPE splits Han characters across tokens)
 * and the start of a word (a space, CJK, or punctuation follows).
 */

export function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

const REPLACEMENT = '\uFFFD';
/** Scripts written without spaces, where every character can end a word. */
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
const BREAK = /[\s\p{P}\p{S}]/u;

/**
 * Whether `ids` may be split between `k - 1` and `k`. `decode` turns ids into text (the
 * tokenizer's decode without special tokens).
 */
export function isCutPoint(ids: readonly number[], k: number, decode: (ids: readonly number[]) => string): boolean {
  if (k <= 0) return true;
  const before = decode(ids.slice(0, k));
  if (before.endsWith(REPLACEMENT)) return false; // inside a multi-byte character
  if (k >= ids.length) return true;
  const after = decode(ids.slice(k));
  const last = before.at(-1) ?? ' ';
  if (BREAK.test(last) || UNSPACED.test(last)) return true;
  // `after` starts with U+FFFD only when the pass ended inside its next character: unknown yet.
  const next = after[0];
  return next !== undefined && next !== REPLACEMENT && (BREAK.test(next) || UNSPACED.test(next));
}

/**
 * How many leading tokens of `latest` are settled, given the pass before it: their common
 * prefix, backed off to the nearest cut point.
 */
export function agreedLength(
  previous: readonly number[],
  latest: readonly number[],
  decode: (ids: readonly number[]) => string,
): number {
  let k = commonPrefixLength(previous, latest);
  while (k > 0 && !isCutPoint(latest, k, decode)) k--;
  return k;
}
