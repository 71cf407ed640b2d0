/**
 * Fidelity: `earshot-test-memorized` transcribes exactly its 24 clips, so any fault in
 * decoding, downmixing, resampling or feature extraction shows up as wrong words. The app's
 * WER on those clips — as WAV and converted to other containers, codecs, rates and channel
 * layouts — must stay within 2 points of the same model in a plain Node pipeline.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wer } from '../fixtures/wer';
import { openApp, transcribe } from './app';
import { haveChromium, launch, watchConsole } from './browser';
import { baselineTranscripts } from './baseline';
import { MEMORIZED_MODEL, ROOT, VARIANTS, convert, have, memorizedClips } from './fixtures';
import { startServer, type TestServer } from './server';

const MODEL = 'earshot-test-memorized';
const present = existsSync(join(MEMORIZED_MODEL, 'config.json'));
if (!present) console.warn(`fidelity tests skipped: ${MEMORIZED_MODEL} not found (../shared is beside the repo in CI)`);

/** WebGPU on SwiftShader is ~50× slower than real GPUs: it runs the WAV set and two conversions. */
const RUNS = [
  { device: 'wasm' as const, dtype: 'q8', variants: ['wav', ...Object.keys(VARIANTS)] },
  { device: 'webgpu' as const, dtype: 'fp32', variants: ['wav', 'm4a', 'wav-48k-stereo'], clips: 8 },
];

describe.skipIf(!present || !haveChromium() || !have('ffmpeg')).each(RUNS)('fidelity on $device ($dtype)', ({ device, dtype, variants, clips: clipCount }) => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let logs: string[];
  let baselineWer = 0;
  const clips = memorizedClips().slice(0, clipCount ?? 24);

  beforeAll(async () => {
    const baseline = baselineTranscripts(MEMORIZED_MODEL, dtype, 'en', clips.map((c) => c.file));
    baselineWer = wer(clips.map((c) => ({ reference: c.reference, hypothesis: baseline.get(c.file)! })));
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

  it('the plain pipeline baseline itself recognises the clips (sanity)', () => {
    expect(baselineWer).toBeLessThan(0.1);
  });

  for (const variant of variants) {
    it(`${variant}: WER within 2 points of the plain pipeline`, async () => {
      const pairs: { reference: string; hypothesis: string }[] = [];
      for (const clip of clips) {
        const file = variant === 'wav' ? clip.file : convert(clip.file, variant);
        const r = await transcribe(page, file);
        expect(r.state, `${file}\n${logs.join('\n')}`).toBe('done');
        pairs.push({ reference: clip.reference, hypothesis: r.segments.map((s) => s.text).join(' ') });
      }
      const appWer = wer(pairs);
      console.log(`[fidelity] ${device}/${dtype} ${variant}: app WER ${(appWer * 100).toFixed(1)} % vs pipeline ${(baselineWer * 100).toFixed(1)} % (${clips.length} clips)`);
      expect(Math.abs(appWer - baselineWer), JSON.stringify(pairs.filter((p) => wer([p]) > 0), null, 1)).toBeLessThanOrEqual(0.02);
    });
  }
});
