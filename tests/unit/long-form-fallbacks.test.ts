/**
 * Temperature fallbacks on a long recording only where OpenAI's rule asks for them (issue 27).
 *
 * The file: five minutes of read sentences (the English clips of ../shared/audio and espeak-ng
 * sentences, repeated once they run out) joined with 0.5–3 s pauses — `bench/audio.ts`'s
 * `5min-read.wav`, the kind of file on which the app once retried 11 of 16 windows where
 * faster-whisper retried none. The reference is faster-whisper 1.2.1 on the same file (tiny.en
 * int8, 2 threads, greedy, its default fallback; `python3 bench/faster_whisper_ref.py --model
 * tiny.en --language en --trace FILE`), recorded below: no Python runs here.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { have } from '../e2e/fixtures';
import { readAudio, readReference } from '../../bench/audio';
import { wer } from '../fixtures/wer';

const ROOT = resolve(import.meta.dirname, '../..');
const MODEL = resolve(ROOT, '../shared/models/whisper-tiny.en');

/** faster-whisper on the same file: windows it decoded, decodes it retried, its WER. */
const FASTER_WHISPER = { windows: 13, fallbacks: 0, wer: 0.0999 };

const tools = have('espeak-ng') && have('sox');
const present = existsSync(join(MODEL, 'config.json')) && existsSync(resolve(ROOT, '../shared/audio'));
if (!present) console.warn('long-form fallback test skipped: ../shared (whisper-tiny.en, audio) not found beside the repo');
if (!tools) console.warn('long-form fallback test skipped: espeak-ng and sox are needed to build the file (.ci/run installs them)');

interface Stats {
  windows: number;
  fallbacks: number;
  redecodes: number;
  tokens: number;
  seconds: number;
}

describe.skipIf(!present || !tools)('a five-minute read recording falls back no more than faster-whisper (tiny.en, Fast)', () => {
  let stats: Stats;
  let text: string;
  beforeAll(() => {
    const file = readAudio();
    const out = execFileSync(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'tests/fixtures/transcribe-node.ts'), MODEL, 'q8', 'en', 'fast', file], {
      encoding: 'utf8',
      timeout: 600_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const [r] = JSON.parse(out) as { text: string; stats: Stats }[];
    stats = r.stats;
    text = r.text;
  }, 600_000);

  it('retries a window at a higher temperature at most once more than faster-whisper, and keeps its text as good', () => {
    const w = wer([{ reference: readReference(300), hypothesis: text }]);
    console.log(
      `[fallbacks] app: ${stats.windows} windows, ${stats.fallbacks} fallbacks, ${stats.redecodes} coverage re-decodes, ${stats.tokens} tokens, WER ${(w * 100).toFixed(1)} %, ${stats.seconds.toFixed(1)} s | faster-whisper (recorded): ${FASTER_WHISPER.windows} windows, ${FASTER_WHISPER.fallbacks} fallbacks, WER ${(FASTER_WHISPER.wer * 100).toFixed(1)} %`,
    );
    expect(stats.fallbacks).toBeLessThanOrEqual(FASTER_WHISPER.fallbacks + 1);
    // A re-decode is the app's answer to speech the model jumped over (a sentence after a pause left
    // out of a text-only window), and tiny.en's jumps come and go with the last bits of the float
    // arithmetic: ten copies of this file, 0.1–6 dB quieter or dithered, took 0 re-decodes on four,
    // 1 on one and 2 on five on this machine (each one a skipped sentence brought back; WER 8.4–11.3 %
    // on the seven read), and CI's machine took 2 on this copy where this one takes 0. More than 2
    // (one window in seven) would be re-decoding where nothing was lost.
    expect(stats.redecodes).toBeLessThanOrEqual(2);
    expect(w).toBeLessThanOrEqual(FASTER_WHISPER.wer + 0.02);
  });
});
