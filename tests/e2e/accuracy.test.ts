/**
 * Accuracy with `earshot-test-tiny` (a Whisper trained on espeak-ng speech that transcribes
 * new sentences of its vocabulary). Skips, saying so, until ../shared/models/earshot-test-tiny
 * exists; picks it up without changes when it does.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { editDistance, normalise, wer } from '../fixtures/wer';
import { openApp, transcribe } from './app';
import { haveChromium, launch, watchConsole } from './browser';
import { baselineTranscripts } from './baseline';
import { ROOT, TINY_MODEL, have, joinWithPauses, type Clip } from './fixtures';
import { startServer, type TestServer } from './server';
import { makeClips } from './test-model-clips';

const MODEL = 'earshot-test-tiny';
const present = existsSync(join(TINY_MODEL, 'config.json'));
if (!present) console.warn(`accuracy tests skipped: ${TINY_MODEL} is not there yet (the test model is being prepared; see ../shared/test-model.md)`);
const ready = present && haveChromium() && have('espeak-ng') && have('sox');

const RUNS = [
  { device: 'wasm' as const, dtype: 'q8', enClips: 24, zhClips: 12, longForm: true },
  { device: 'webgpu' as const, dtype: 'fp32', enClips: 4, zhClips: 2, longForm: false },
];

describe.skipIf(!ready).each(RUNS)('accuracy with earshot-test-tiny on $device ($dtype)', ({ device, dtype, enClips, zhClips, longForm }) => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let logs: string[];
  let en: Clip[];
  let zh: Clip[];
  const appText = new Map<string, string>();
  const detected = new Map<string, string | null>();

  beforeAll(async () => {
    en = makeClips('en', enClips, 101);
    zh = makeClips('zh', zhClips, 202);
    server = await startServer(join(ROOT, 'dist'), { [MODEL]: TINY_MODEL });
    browser = await launch({ webgpu: device === 'webgpu' });
    page = await browser.newPage();
    logs = watchConsole(page);
    await openApp(page, server, MODEL, device, dtype);
    // Language left on "detect automatically": the same runs give text and detected language.
    for (const clip of [...en, ...zh]) {
      const r = await transcribe(page, clip.file);
      expect(r.state, logs.join('\n')).toBe('done');
      appText.set(clip.file, r.segments.map((s) => s.text).join(' '));
      detected.set(clip.file, await page.getAttribute('[data-testid=detected-language]', 'data-lang'));
    }
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const language of ['en', 'zh'] as const) {
    it(`${language} clips: WER within 2 points of the plain pipeline`, () => {
      const clips = language === 'en' ? en : zh;
      const baseline = baselineTranscripts(TINY_MODEL, dtype, language, clips.map((c) => c.file));
      const appWer = wer(clips.map((c) => ({ reference: c.reference, hypothesis: appText.get(c.file)! })));
      const baseWer = wer(clips.map((c) => ({ reference: c.reference, hypothesis: baseline.get(c.file)! })));
      console.log(`[accuracy] ${device}/${dtype} ${language}: app WER ${(appWer * 100).toFixed(1)} % vs pipeline ${(baseWer * 100).toFixed(1)} % (${clips.length} clips)`);
      expect(appWer - baseWer).toBeLessThanOrEqual(0.02);
    });
  }

  it('detects English and Mandarin', () => {
    for (const c of en) expect(detected.get(c.file), c.file).toBe('en');
    for (const c of zh) expect(detected.get(c.file), c.file).toBe('zh');
  });

  it.skipIf(!longForm)('a ≥ 5 min file of clips with pauses: no words duplicated or lost at window boundaries', async () => {
    const clips = makeClips('en', 90, 303);
    const pauses = [0.5, 1.2, 3, 0.8, 2, 1.6];
    const file = joinWithPauses('test-tiny-long.wav', clips.map((c) => c.file), pauses);
    expect(Number(execFileSync('soxi', ['-D', file], { encoding: 'utf8' }))).toBeGreaterThanOrEqual(300);
    const r = await transcribe(page, file, 900_000);
    expect(r.state).toBe('done');
    const reference = clips.map((c) => c.reference).join(' ');
    const hypothesis = r.segments.map((s) => s.text).join(' ');
    // Per-clip app WER on the same clips is the floor; long-form must not add more than 2 points.
    const perClip: { reference: string; hypothesis: string }[] = [];
    for (const c of clips.slice(0, 20)) {
      const one = await transcribe(page, c.file);
      perClip.push({ reference: c.reference, hypothesis: one.segments.map((s) => s.text).join(' ') });
    }
    const floor = wer(perClip);
    const longWer = editDistance(normalise(reference), normalise(hypothesis)) / normalise(reference).length;
    const extraWords = normalise(hypothesis).length - normalise(reference).length;
    console.log(`[accuracy] long-form ${clips.length} clips: WER ${(longWer * 100).toFixed(1)} % vs per-clip ${(floor * 100).toFixed(1)} %, word count ${extraWords >= 0 ? '+' : ''}${extraWords}`);
    expect(longWer - floor).toBeLessThanOrEqual(0.02);
    // Segments must be in order and cover the file without going back in time.
    for (let i = 1; i < r.segments.length; i++) expect(r.segments[i].start).toBeGreaterThanOrEqual(r.segments[i - 1].start);
  });
});
