/**
 * Prompts and forced prefixes through the app's own WhisperEngine (in Node, on
 * earshot-test-memorized): what reaches the decoder, and that settled text forced as a prefix
 * is continued, not rewritten.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';

const MODEL = '../shared/models/earshot-test-memorized';
const CLIP = '../shared/test-clips/memorized/clip00.wav';
const present = existsSync(`${MODEL}/config.json`);
if (!present) console.warn(`prompt tests skipped: ${MODEL} not found (../shared is beside the repo in CI)`);

interface Report {
  special: { startOfPrev: number; sot: number; en: number; transcribe: number; noTimestamps: number };
  promptIds: number[];
  promptText: string;
  plain: { ids: number[]; text: string };
  continued: { forced: number[]; ids: number[] };
  whole: { ids: number[] };
  decoderInputs: number[][];
  filePathInputs: number[][];
  filePathText: string;
  cancelled: { cancelled: boolean; ids: number[]; forwards: number };
  afterCancel: { ids: number[] };
}

describe.skipIf(!present)('prompts (<|startofprev|>) and settled prefixes in the engine', () => {
  const report = (): Report =>
    JSON.parse(execFileSync('node_modules/.bin/tsx', ['tests/fixtures/engine-node.ts', MODEL, CLIP], { encoding: 'utf8', timeout: 120_000 }));
  let r: Report;
  beforeAll(() => {
    r = report();
  }, 120_000);

  it('decodes the clip, and puts the prompt before <|startoftranscript|> as OpenAI does', () => {
    const s = r.special;
    expect(r.plain.text.trim()).toMatch(/^Red city after father my other water often name is/);
    expect(r.promptText).toBe(' Dr. Okonkwo prescribed metoprolol.'); // leading space, trimmed
    expect(r.decoderInputs[0]).toEqual([s.sot, s.en, s.transcribe, s.noTimestamps]);
    expect(r.decoderInputs[1]).toEqual([s.startOfPrev, ...r.promptIds, s.sot, s.en, s.transcribe, s.noTimestamps]);
    // The file path: the same prompt before every window, timestamps on.
    expect(r.filePathInputs[0]).toEqual([s.startOfPrev, ...r.promptIds, s.sot, s.en, s.transcribe]);
  });

  it('continues settled text instead of rewriting it, and may end right after it', () => {
    const s = r.special;
    expect(r.decoderInputs[2]).toEqual([s.sot, s.en, s.transcribe, s.noTimestamps, ...r.continued.forced]);
    expect(r.continued.ids.slice(0, r.continued.forced.length)).toEqual(r.continued.forced);
    expect(r.continued.ids).toEqual(r.plain.ids);
    expect(r.whole.ids).toEqual(r.plain.ids);
  });

  // transformers.js's Whisper generate() drops stopping criteria: a live pass on it (WebGPU, and
  // passes on WASM) must still stop when the person stops speaking, or the final waits behind it.
  it('stops a generate() decode between steps when it is cancelled, and decodes normally after', () => {
    expect(r.plain.ids.length).toBeGreaterThan(4);
    expect(r.cancelled.cancelled).toBe(true);
    expect(r.cancelled.forwards).toBe(3);
    expect(r.cancelled.ids).toEqual(r.plain.ids.slice(0, 3));
    expect(r.afterCancel.ids).toEqual(r.plain.ids);
  });
});
