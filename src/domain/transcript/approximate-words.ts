/**
 * Word times where the model cannot give them: a decoder whose attention is fused (no Softmax
 * node to expose: workers/asr/models/attention-outputs.ts), or alignment heads that name layers
 * the decoder does not have. Dropping the words would take the editor's click-to-hear, the
 * highlight while playing, the unsure marks and per-word speakers with them; so each segment's
 * words are spread over the speech inside it — the 10 ms frames the energy envelope says are not
 * silent — in proportion to their length in characters, and flagged `approximate` (the editor
 * says so). A word never starts in a silence, and the order and the segment's span are kept.
 */
import { silenceMask } from '../audio/energy-edges';
import { mergePunctuation, splitToWordTokens, type Word } from './alignment';

const FRAME_S = 0.01;
const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Words of `tokens` (a segment's text) spread over [start, end) seconds of `audio` (16 kHz, the
 * same clock; null: evenly over the span). `probability`: the segment's, for every word.
 */
export function approximateWords(
  tokens: readonly number[],
  decode: (ids: number[]) => string,
  language: string,
  span: { start: number; end: number },
  audio: Float32Array | null,
  probability: number,
): Word[] {
  const { words } = splitToWordTokens(tokens, decode, language);
  const kept = words.filter((w) => w.trim() !== '');
  if (kept.length === 0 || !(span.end > span.start)) return [];
  // The frames of the span that hold sound (all of them without audio, or when all are silent).
  const first = Math.floor(span.start / FRAME_S);
  const last = Math.max(first + 1, Math.ceil(span.end / FRAME_S));
  const silent = audio ? silenceMask(audio) : null;
  let voiced: number[] = [];
  for (let f = first; f < last; f++) if (!silent || silent[f] === 0) voiced.push(f);
  if (voiced.length === 0) voiced = Array.from({ length: last - first }, (_, i) => first + i);

  const weight = kept.map((w) => Math.max(1, [...w.trim()].length));
  const total = weight.reduce((a, b) => a + b, 0);
  const n = voiced.length;
  const out: Word[] = [];
  let done = 0;
  for (const [i, word] of kept.entries()) {
    const from = Math.min(n - 1, Math.floor((done / total) * n));
    done += weight[i];
    const to = i === kept.length - 1 ? n : Math.min(n, Math.max(from + 1, Math.floor((done / total) * n)));
    // From its first voiced frame to the end of its last one: a silence after it is not part of it.
    const start = Math.max(span.start, voiced[from] * FRAME_S);
    const end = Math.min(span.end, (voiced[to - 1] + 1) * FRAME_S);
    out.push({ word, start: round3(start), end: round3(Math.max(start, end)), probability, approximate: true });
  }
  return mergePunctuation(out);
}
