/**
 * Fidelity: `earshot-test-memorized` transcribes exactly its 24 clips, so any fault in
 * decoding, downmixing, resampling or feature extraction shows up as wrong words. The app's
 * WER on those clips — as WAV and converted to other containers, codecs, rates and channel
 * layouts — must stay within 2 points of the same model in a plain Node pipeline fed the same
 * file decoded and resampled by ffmpeg (an independent audio path). 8 kHz audio loses the
 * top half of the spectrum for both, so the comparison is per variant, like for like.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wer } from '../fixtures/wer';
import { openApp, transcribe } from './app';
import { haveChromium, launch, watchConsole } from './browser';
import { baselineTranscripts } from './baseline';
import { MEMORIZED_MODEL, ROOT, VARIANTS, convert, have, memorizedClips, toBaselineWav } from './fixtures';
import { startServer, type TestServer } from './server';

const MODEL = 'earshot-test-memorized';
const present = existsSync(join(MEMORIZED_MODEL, 'config.json'));
if (!present) console.warn(`fidelity tests skipped: ${MEMORIZED_MODEL} not found (../shared is beside the repo in CI)`);

/** WebGPU on SwiftShader (software) is very slow: it runs 4 clips as WAV and as AAC. */
const RUNS = [
  { device: 'wasm' as const, dtype: 'q8', variants: ['wav', ...Object.keys(VARIANTS)] },
  { device: 'webgpu' as const, dtype: 'fp32', variants: ['wav', 'm4a'], clips: 4 },
];

describe.skipIf(!present || !haveChromium() || !have('ffmpeg')).each(RUNS)('fidelity on $device ($dtype)', ({ device, dtype, variants, clips: clipCount }) => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let logs: string[];
  const clips = memorizedClips().slice(0, clipCount ?? 24);

  beforeAll(async () => {
    server = await startServer(join(ROOT, 'dist'), { [MODEL]: MEMORIZED_MODEL });
    browser = await launch({ webgpu: device === 'webgpu' });
    page = await browser.newPage();
    logs = watchConsole(page);
    await openApp(page, server, MODEL, device, dtype);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const variant of variants) {
    it(`${variant}: WER within 2 points of the plain pipeline on the same audio`, async () => {
      const files = clips.map((clip) => (variant === 'wav' ? clip.file : convert(clip.file, variant)));
      const baseline = baselineTranscripts(MEMORIZED_MODEL, dtype, 'en', files.map(toBaselineWav));
      const baselineWer = wer(clips.map((c, i) => ({ reference: c.reference, hypothesis: baseline.get(toBaselineWav(files[i]))! })));
      const pairs: { reference: string; hypothesis: string }[] = [];
      for (const [i, clip] of clips.entries()) {
        const r = await transcribe(page, files[i]);
        expect(r.state, `${files[i]}\n${logs.join('\n')}`).toBe('done');
        pairs.push({ reference: clip.reference, hypothesis: r.segments.map((s) => s.text).join(' ') });
      }
      const appWer = wer(pairs);
      console.log(`[fidelity] ${device}/${dtype} ${variant}: app WER ${(appWer * 100).toFixed(1)} % vs pipeline ${(baselineWer * 100).toFixed(1)} % (${clips.length} clips)`);
      if (variant === 'wav') expect(baselineWer, 'the model itself should know its clips').toBeLessThan(0.1);
      expect(Math.abs(appWer - baselineWer), JSON.stringify(pairs.filter((p) => wer([p]) > 0), null, 1)).toBeLessThanOrEqual(0.02);
    });
  }
});
