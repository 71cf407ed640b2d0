/**
 * Whisper sometimes falls into a loop on silence or noise ("Thank you. Thank you. Thank you…").
 * These detect a tail that repeats a short pattern, so decoding can stop early and the repeats
 * can be cut down to one occurrence.
 */

/** A pattern of up to this many tokens is looked for. */
const MAX_PERIOD_TOKENS = 24;

/** How many back-to-back copies of a pattern count as a loop, by pattern length. */
function minRepeats(period: number): number {
  if (period === 1) return 8;
  if (period <= 3) return 5;
  return 3;
}

/**
 * If `tokens` ends in a loop, return the index where the loop's second copy starts (everything
 * from there on is repetition and can be dropped); otherwise -1.
 */
export function findRepetitionLoop(tokens: readonly number[]): number {
  const n = tokens.length;
  for (let period = 1; period <= MAX_PERIOD_TOKENS && period * 2 <= n; period++) {
    let copies = 1;
    let start = n - period;
    while (start - period >= 0) {
      let same = true;
      for (let k = 0; k < period; k++) {
        if (tokens[start - period + k] !== tokens[start + k]) {
          same = false;
          break;
        }
      }
      if (!same) break;
      copies++;
      start -= period;
    }
    if (copies >= minRepeats(period)) return start + period;
  }
  return -1;
}

/** Drop segments whose text merely repeats the segment before (a loop spread over segments). */
export function dropRepeatedSegments<T extends { text: string }>(segments: readonly T[], maxRun = 2): T[] {
  const out: T[] = [];
  let run = 0;
  for (const seg of segments) {
    const prev = out[out.length - 1];
    const same = prev && normalise(prev.text) === normalise(seg.text) && normalise(seg.text) !== '';
    run = same ? run + 1 : 0;
    if (run < maxRun) out.push(seg);
  }
  return out;
}

function normalise(text: string): string {
  return text.toLowerCase().replace(/[\s\p{P}]+/gu, ' ').trim();
}

/** Shortest phrase (tokens) whose back-to-back repeat counts as said twice. */
const TWICE_MIN_TOKENS = 5;

/**
 * Where the second copy starts of the first phrase of ≥ TWICE_MIN_TOKENS tokens that `ids` say
 * twice in a row, the second copy reaching past `from` (tokens before it were settled earlier); -1
 * when none. People seldom repeat five tokens verbatim; Whisper does at the end of audio it
 * takes to go on.
 */
export function secondCopyAt(ids: readonly number[], from = 0): number {
  const n = ids.length;
  let first = -1;
  for (let period = TWICE_MIN_TOKENS; 2 * period <= n; period++) {
    for (let start = Math.max(0, from - 2 * period + 1); start + 2 * period <= n; start++) {
      if (first >= 0 && start + period >= first) break;
      let same = true;
      for (let k = 0; k < period && same; k++) same = ids[start + k] === ids[start + period + k];
      if (same) first = start + period;
    }
  }
  return first;
}
