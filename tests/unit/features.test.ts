/**
 * The engine computes Whisper's log-mel itself (a mixed-radix FFT, and only the frames that hold
 * audio: a live utterance fills a few seconds of its 30 s window); it must give the model what
 * transformers.js's own feature extractor gives it, for any length up to a whole window.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const CONFIG = '../shared/whisper-config/whisper-tiny';
const SPEECH = '../shared/audio/en/jfk.wav';
const present = existsSync(`${CONFIG}/preprocessor_config.json`) && existsSync(SPEECH);
if (!present) console.warn(`feature tests skipped: ${CONFIG} not found (../shared is beside the repo in CI)`);

describe.skipIf(!present)('the engine’s log-mel features', () => {
  it('equal transformers.js’s features for short, silent, odd-length and whole-window audio', () => {
    const rows = JSON.parse(execFileSync('node_modules/.bin/tsx', ['tests/fixtures/features-node.ts', CONFIG, SPEECH], { encoding: 'utf8', timeout: 120_000 })) as {
      name: string;
      dimsFull: number[];
      dimsFast: number[];
      maxDiff: number;
    }[];
    expect(rows.map((r) => r.name)).toEqual(['0.05 s', '0.3 s', '1 s silence', '2.5 s', '10.013 s', '29.97 s', '30 s']);
    for (const r of rows) {
      expect(r.dimsFast, r.name).toEqual([1, 80, 3000]);
      expect(r.dimsFast, r.name).toEqual(r.dimsFull);
      // float64 FFTs on both sides; the extractor projects float32 power in float32.
      expect(r.maxDiff, r.name).toBeLessThan(1e-5);
    }
  }, 120_000); // a child process that loads transformers and runs 14 extractions (~5 s here)
});
