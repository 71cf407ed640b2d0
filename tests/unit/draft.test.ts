/**
 * The cached step model and live drafts through the app's WhisperEngine (in Node, on real
 * whisper-tiny.en q8): the same text as transformers.js's merged decoder, and a draft that holds
 * costs one decoder pass instead of one per token.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';

const MODEL = '../shared/models/whisper-tiny.en';
const CLIP = '../shared/audio/en/jfk.wav';
const present = existsSync(`${MODEL}/onnx/decoder_model_merged_quantized.onnx`) && existsSync(CLIP);
if (!present) console.warn(`draft tests skipped: ${MODEL} or ${CLIP} not found (../shared is beside the repo in CI)`);

interface Run {
  ids: number[];
  accepted: number;
  steps: number;
}
interface Report {
  keysTransposed: boolean;
  plain: { ids: number[]; text: string };
  none: Run;
  right: Run;
  wrong: Run;
  wrongAt: number;
  afterForced: Run;
  filePathMerged: string;
  filePathStep: string;
  /** Decoder runs of a decode of a second of silence, with and without the end token held back for 8 tokens. */
  held: { step: number; generate: number; unheld: number };
  warmUp: number;
  afterWarmUp: number[];
}

describe.skipIf(!present)('decoding on the cached step model, with drafts', () => {
  let r: Report;
  beforeAll(() => {
    r = JSON.parse(execFileSync('node_modules/.bin/tsx', ['tests/fixtures/draft-node.ts', MODEL, CLIP], { encoding: 'utf8', timeout: 180_000 }));
  }, 180_000);

  it('gives the merged decoder’s text, one pass per token without a draft', () => {
    expect(r.keysTransposed).toBe(true);
    expect(r.plain.text).toMatch(/ask not what your country can do for you/i);
    expect(r.none.ids).toEqual(r.plain.ids);
    expect(r.none.steps).toBe(r.plain.ids.length + 1);
  });

  // With q8 weights the decoder quantises its activations per pass: a pass over many tokens can
  // flip a near-tie that single steps decide the other way ("And so, my…" against "And so my…" on
  // this clip). So a draft's text is the model's greedy text for that pass, within such a tie.
  const wordsApart = (a: number[], b: number[]) => {
    let i = 0;
    while (i < a.length && a[i] === b[i]) i++;
    let j = 0;
    while (j < a.length - i && j < b.length - i && a[a.length - 1 - j] === b[b.length - 1 - j]) j++;
    return Math.max(a.length, b.length) - i - j;
  };

  it('checks a right draft in one pass and keeps what the model agrees with', () => {
    expect(wordsApart(r.right.ids, r.plain.ids)).toBeLessThanOrEqual(1);
    expect(r.right.accepted).toBeGreaterThan(0);
    // Every kept draft token is the draft's; what follows is decoded, one pass per token.
    expect(r.right.ids.slice(0, r.right.accepted)).toEqual(r.plain.ids.slice(0, r.right.accepted));
    expect(r.right.steps).toBe(1 + (r.right.accepted === r.plain.ids.length ? 0 : r.right.ids.length - r.right.accepted));
  });

  it('never keeps a wrong draft token', () => {
    expect(r.wrong.accepted).toBeLessThanOrEqual(r.wrongAt);
    expect(wordsApart(r.wrong.ids, r.plain.ids)).toBeLessThanOrEqual(1);
    expect(r.wrong.ids).not.toContain(r.plain.ids[r.wrongAt] === 1110 ? 1111 : 1110);
  });

  it('continues forced settled text with the rest as draft', () => {
    expect(r.afterForced.ids).toEqual(r.plain.ids);
    expect(r.afterForced.steps).toBe(1);
  });

  // The load-time warm-up runs the decoder steps speech would, on audio with nothing to say:
  // without holding the end token back the step model stops at once on silence. (Decoder runs,
  // not tokens: what tiny.en says over silence repeats, and a loop is cut from the text.)
  it('warms up on the paths live text takes, and leaves the engine decoding as before', () => {
    expect(r.held.unheld).toBeLessThan(8);
    expect(r.held.step).toBeGreaterThanOrEqual(8);
    expect(r.held.generate).toBeGreaterThanOrEqual(8);
    console.log(`warm-up ${r.warmUp.toFixed(2)} s in Node (onnxruntime-node)`);
    expect(r.afterWarmUp).toEqual(r.none.ids);
  });

  it('transcribes a file (timestamps, fallback, word timings) to the same text', () => {
    expect(r.filePathStep.length).toBeGreaterThan(50);
    expect(r.filePathStep).toBe(r.filePathMerged);
  });
});
