/**
 * Fidelity of the audio path on every container, codec, rate and channel layout the app reads:
 * the same clips converted (mp3, ogg, m4a, flac, webm, mp4 video, 8 kHz, 48 kHz
 * stereo; Ogg Opus and 44.1 kHz are read by bad-inputs.test.ts), transcribed through the UI, against the same model in the plain
 * pipeline in the same browser (bench/baseline) fed the same file decoded and resampled by ffmpeg
 * (an independent audio path).
 * 8 kHz audio loses the top half of the spectrum for both, so the comparison is per variant.
 *
 * On WASM: real Whisper tiny.en on the real English clips; on WebGPU (SwiftShader here: a real
 * model would take minutes per clip) the mechanics with earshot-test-memorized in fp32. The two
 * audio paths differ by design (the browser's decoder and our resampler vs ffmpeg's), and
 * tiny.en flips a word or two on differences that small, so each format must stay within 2
 * points of the pipeline; accuracy.test.ts holds the app to "no worse" on identical samples.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wer } from '../fixtures/wer';
import { openApp, transcribe } from './app';
import { haveChromium, launch, watchConsole } from './browser';
import { BASELINE_DIST, browserBaseline } from './baseline';
import { FIXTURES, MEMORIZED_MODEL, ROOT, TINY_EN_MODEL, VARIANTS, convert, have, memorizedClips, speechClips, toBaselineWav, type Clip } from './fixtures';
import { startServer, type TestServer } from './server';

interface Run {
  device: 'wasm' | 'webgpu';
  dtype: string;
  model: string;
  dir: string;
  clips: () => Clip[];
  variants: string[];
  /** How far from the pipeline the app may be, in WER. */
  tolerance: number;
}

const RUNS: Run[] = [
  // Every variant but four whose path the others already take: `opus` (Opus in Ogg: the codec is
  // `webm`'s, the container `ogg`'s), `m4a` (AAC in an MP4 container: `mp4`'s, which adds a video
  // track), `wav-44k1` (a rate conversion between `wav-8k`'s and `wav-48k-stereo`'s) and the clips'
  // own WAVs (16 kHz mono: the very samples accuracy.test.ts's `clean` run gives both sides, and the
  // one 8 kHz clip's rate is `wav-8k`'s). The first three are still read through the UI by
  // bad-inputs.test.ts; dropping them here keeps `npm test` near its 45 minutes (each variant is
  // ~45–60 s of real tiny.en twice).
  { device: 'wasm', dtype: 'q8', model: 'whisper-tiny.en', dir: TINY_EN_MODEL, clips: () => speechClips('en'), variants: Object.keys(VARIANTS).filter((v) => !['opus', 'm4a', 'wav-44k1'].includes(v)), tolerance: 0.02 },
  // The GPU path (software WebGPU here: minutes per file) gives the same text as the pipeline on
  // one variant; every container and codec is read on WASM above (decoding does not depend on the device).
  // One clip: on SwiftShader it costs ~150 s for the app (the pipeline runs on WASM).
  { device: 'webgpu', dtype: 'fp32', model: 'earshot-test-memorized', dir: MEMORIZED_MODEL, clips: () => memorizedClips().slice(0, 1), variants: ['wav'], tolerance: 0.02 },
  // The hub's 4-bit files (MatMulNBits, block 32, as its `_q4` files are made) through the app's own
  // decoder loop, with the cross-attention outputs the loader adds to the toy's plain decoder. (Auto
  // on WebGPU, fp32 encoder + q4 decoder, takes ~4 min a clip on SwiftShader: not run here.)
  { device: 'wasm', dtype: 'q4', model: 'earshot-test-memorized', dir: MEMORIZED_MODEL, clips: () => memorizedClips().slice(0, 6), variants: ['wav'], tolerance: 0.02 },
];
for (const r of RUNS) if (!existsSync(join(r.dir, 'config.json'))) console.warn(`fidelity tests with ${r.model} skipped: ${r.dir} not found (../shared is beside the repo in CI)`);

describe.skipIf(!haveChromium() || !have('ffmpeg')).each(RUNS.filter((r) => existsSync(join(r.dir, 'config.json'))))('fidelity with $model on $device ($dtype)', ({ device, dtype, model, dir, clips: clipsOf, variants, tolerance }) => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let logs: string[];
  const clips = clipsOf();

  beforeAll(async () => {
    server = await startServer(join(ROOT, 'dist'), { [model]: dir }, { '/baseline/': BASELINE_DIST, '/fixtures/': FIXTURES });
    browser = await launch({ webgpu: device === 'webgpu' });
    page = await browser.newPage();
    logs = watchConsole(page);
    await openApp(page, server, model, device, dtype);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const variant of variants) {
    it(`${variant}: WER within ${tolerance * 100} points of the plain pipeline on the same file`, async () => {
      const files = clips.map((clip) => (variant === 'wav' ? clip.file : convert(clip.file, variant)));
      // The pipeline runs on WASM for both runs: on the software WebGPU adapter it would take
      // minutes per clip, and the WebGPU run is there to show the app's GPU path gives the same text.
      const baseline = await browserBaseline(browser, server, { id: model, device: 'wasm', dtype }, 'en', files.map(toBaselineWav), (f) => `${server.url}/fixtures/${relative(FIXTURES, f)}`);
      const baselineWer = wer(clips.map((c, i) => ({ reference: c.reference, hypothesis: baseline.get(toBaselineWav(files[i]))! })));
      const pairs: { reference: string; hypothesis: string }[] = [];
      for (const [i, clip] of clips.entries()) {
        const r = await transcribe(page, files[i]);
        expect(r.state, `${files[i]}\n${logs.join('\n')}`).toBe('done');
        pairs.push({ reference: clip.reference, hypothesis: r.segments.map((s) => s.text).join(' ') });
      }
      const appWer = wer(pairs);
      console.log(`[fidelity] ${model} ${device}/${dtype} ${variant}: app WER ${(appWer * 100).toFixed(1)} % vs pipeline ${(baselineWer * 100).toFixed(1)} % (${clips.length} clips)`);
      expect(baselineWer, 'the model itself should get its clips mostly right').toBeLessThan(0.15);
      expect(Math.abs(appWer - baselineWer), JSON.stringify(pairs.filter((p) => wer([p]) > 0), null, 1)).toBeLessThanOrEqual(tolerance + 1e-9);
    });
  }
});
