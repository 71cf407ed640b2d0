/**
 * Live transcription from the microphone, in headless Chromium with the fake microphone
 * (`--use-file-for-fake-audio-capture`) playing test clips with pauses between them.
 *
 * - Recognition (real Whisper tiny.en on real English clips; on WebGPU — SwiftShader here, far too
 *   slow for a real model — the mechanics with earshot-test-memorized): the live transcript's WER
 *   is within 3 points of the file path's on the same audio (the toy model: ≤ 30 % against what
 *   was said, see `maxWer`); stable
 *   text never changes afterwards; tentative text becomes stable; no word is doubled at an
 *   utterance boundary; the kept recording is a 16 kHz WAV of the session's length holding the
 *   played audio (its loudness envelope follows the source's), and "Transcribe the recording"
 *   gives the played file's WER within 3 points (WASM).
 * - Mechanics (the project's random-weight model, always): level meter, clock, pause/resume,
 *   and the failures — microphone refused, no microphone, microphone unplugged, audio suspended
 *   by the browser — each with its message, keeping the transcript and the recording.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureRandomModel } from '../fixtures/models/make-random-model';
import { readWav } from '../fixtures/wav';
import { normalise, wer } from '../fixtures/wer';
import { downloadBytes, openApp, pressRecord, recordLive, segments, transcribe, type LiveObservation, type SegmentOut } from './app';
import { haveChromium, launch, watchConsole } from './browser';
import { bestLag, envelope } from './envelope';
import { MEMORIZED_MODEL, ROOT, SHARED, TINY_EN_MODEL, have, joinWithPauses, memorizedClips, speechClips, type Clip } from './fixtures';
import { startServer, type TestServer } from './server';

const MEMORIZED = 'earshot-test-memorized';
const RANDOM = 'earshot-random-mechanics';
const TINY = 'whisper-tiny.en';
const memorizedPresent = existsSync(join(MEMORIZED_MODEL, 'config.json'));
if (!memorizedPresent) console.warn(`live recognition tests skipped: ${MEMORIZED_MODEL} not found (../shared is beside the repo in CI)`);
const PAUSE_S = 1.5;

function wavSeconds(path: string) {
  const w = readWav(path);
  return w.channels[0].length / w.sampleRate;
}

/** Stable text is never taken back: every stable text seen is a prefix of its utterance's final text. */
function checkStableNeverChanges(observations: LiveObservation[], finals: SegmentOut[]) {
  const byStart = new Map(finals.map((s) => [s.start.toFixed(2), normalise(s.text)]));
  let utterancesWithStableText = 0;
  let tentativeSeen = false;
  const counted = new Set<string>();
  for (const o of observations) {
    if (o.tentative) tentativeSeen = true;
    if (!o.start || !o.stable) continue;
    const final = byStart.get(o.start);
    if (!final) continue; // the utterance cut by Stop at the very end
    const stable = normalise(o.stable);
    expect(final.slice(0, stable.length), `stable "${o.stable}" vs final "${final.join(' ')}"`).toEqual(stable);
    if (!counted.has(o.start)) utterancesWithStableText++, counted.add(o.start);
  }
  return { utterancesWithStableText, tentativeSeen };
}

/** Words repeated across an utterance boundary (the end of one repeated at the start of the next). */
function boundaryDuplicates(finals: SegmentOut[], reference: string): string[] {
  const ref = normalise(reference).join(' ');
  const dups: string[] = [];
  for (let i = 1; i < finals.length; i++) {
    const a = normalise(finals[i - 1].text);
    const b = normalise(finals[i].text);
    for (let n = 1; n <= Math.min(3, a.length, b.length); n++) {
      const tail = a.slice(-n).join(' ');
      if (tail === b.slice(0, n).join(' ') && !ref.includes(`${tail} ${tail}`)) dups.push(`${tail} | ${finals[i].text}`);
    }
  }
  return dups;
}

interface LiveRun {
  model: string;
  dir: string;
  present: boolean;
  device: 'wasm' | 'webgpu';
  dtype: string;
  /** Name of the fake-microphone file, and the clips it plays one after another. */
  name: string;
  clips: () => Clip[];
  /** Clips with pauses inside them may become several utterances. */
  oneUtterancePerClip: boolean;
  /** Earlier text as prompt (off for the toy model, trained without prompts). */
  context: boolean;
  /** Live WER may exceed the file path's by this much. */
  tolerance: number;
  /**
   * Instead of the file path on the same audio: live WER against what was said, at most this. The
   * toy model on SwiftShader: it was trained on single clips, so the file path of the joined file
   * derails (50 % WER, a vacuous bar) and costs ~200 s; the GPU file path is fidelity.test.ts's.
   */
  maxWer?: number;
  /**
   * Utterances whose text settled before they ended, at least. Real clips of 5–8 s get two to four
   * passes on 2 cores (a tiny.en pass takes 1.4–2.1 s: bench/live-real.ts), and LocalAgreement
   * needs two that agree, so how many settle early depends on the machine's load: 1 to 6 of 9 were
   * seen across runs. The check is that streaming settles text at all; its speed is the benchmark's.
   */
  settledAtLeast: number;
}

const tinyPresent = existsSync(join(TINY_EN_MODEL, 'config.json'));
if (!tinyPresent) console.warn(`live tests with whisper-tiny.en skipped: ${TINY_EN_MODEL} not found (../shared is beside the repo in CI)`);

const RUNS: LiveRun[] = [
  // Real speech: the English clips but the 29 s telephone one, one after another.
  {
    model: TINY,
    dir: TINY_EN_MODEL,
    present: tinyPresent,
    device: 'wasm',
    dtype: 'q8',
    name: 'tiny-en-9',
    clips: () => speechClips('en').filter((c) => !c.file.includes('-8k')),
    oneUtterancePerClip: false,
    context: true,
    tolerance: 0.03,
    settledAtLeast: 1,
  },
  // Software WebGPU (SwiftShader) is far slower than a GPU: the toy model, a short session of two
  // utterances (one boundary; each clip costs ~100 s there, live and file path together).
  { model: MEMORIZED, dir: MEMORIZED_MODEL, present: memorizedPresent, device: 'webgpu', dtype: 'fp32', name: 'memorized-2', clips: () => memorizedClips().slice(0, 2), oneUtterancePerClip: true, context: false, tolerance: 0, maxWer: 0.3, settledAtLeast: 0 },
];

for (const run of RUNS) {
  const { model, device, dtype } = run;
  describe.skipIf(!run.present || !haveChromium() || !have('sox'))(`live microphone with ${model} on ${device} (${dtype}), ${run.name}`, () => {
    let server: TestServer;
    let browser: Browser;
    let page: Page;
    let logs: string[];
    let clips: Clip[] = [];
    let micFile = '';
    let webgpuMissing = false;

    beforeAll(async () => {
      clips = run.clips();
      micFile = joinWithPauses(`live-${run.name}.wav`, clips.map((c) => c.file), [PAUSE_S]);
      server = await startServer(join(ROOT, 'dist'), { [model]: run.dir });
      browser = await launch({ fakeMicWav: micFile, webgpu: device === 'webgpu' });
      page = await (await browser.newContext({ acceptDownloads: true })).newPage();
      logs = watchConsole(page);
      await openApp(page, server, model, device, dtype);
      if (device === 'webgpu') {
        webgpuMissing = !(await page.evaluate(async () => !!(await (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu?.requestAdapter())));
      }
      // The toy model was trained without prompts; earlier text as a prompt derails it.
      if (!run.context) await page.uncheck('[data-testid=use-context]');
    });

    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    it(`transcribes while the person speaks, ${run.maxWer === undefined ? 'as well as the file path' : 'close to what was said'}, and keeps the recording`, async (ctx) => {
      if (webgpuMissing) ctx.skip();
      const reference = clips.map((c) => c.reference).join(' ');
      // Stop inside the last pause, before the fake microphone loops back to the first clip.
      const length = wavSeconds(micFile) - PAUSE_S / 2;
      const live = await recordLive(page, length, { timeoutMs: 480_000 });
      const diag = `${JSON.stringify(live.segments, null, 1)}\n${logs.join('\n')}`;
      expect(await page.getAttribute('[data-testid=status]', 'data-state'), diag).toBe('done');
      const liveWer = wer([{ reference, hypothesis: live.segments.map((s) => s.text).join(' ') }]);

      // Streaming: settled text never changed; tentative text was shown and then settled. On
      // SwiftShader (software WebGPU) one pass takes longer than a whole clip, so utterances end
      // before any pass shows text: there only the finals can be checked.
      const { utterancesWithStableText, tentativeSeen } = checkStableNeverChanges(live.observations, live.segments);
      if (device === 'wasm') {
        expect(tentativeSeen, diag).toBe(true);
        expect(utterancesWithStableText, diag).toBeGreaterThanOrEqual(run.settledAtLeast);
      }
      expect(boundaryDuplicates(live.segments, reference), diag).toEqual([]);
      // Finals carry what file segments carry: timed words on screen (real model: cross-attention outputs).
      if (run.model === TINY) {
        const words = await page.$$eval('[data-testid=transcript] [data-testid=word]', (els) => els.map((e) => Number(e.getAttribute('data-start'))));
        expect(words.length, diag).toBeGreaterThan(clips.length * 5);
        expect(words, 'word times never go back').toEqual([...words].sort((a, b) => a - b));
      }
      // One utterance per clip (clips without pauses inside), in order, on the session clock.
      if (run.oneUtterancePerClip) expect(live.segments.length, diag).toBe(clips.length);
      for (let i = 1; i < live.segments.length; i++) expect(live.segments[i].start).toBeGreaterThanOrEqual(live.segments[i - 1].end);

      // The recording: a 16 kHz mono 16-bit WAV as long as the session, holding what was played.
      const { name, bytes } = await downloadBytes(page, 'download-recording');
      expect(name).toMatch(/\.wav$/);
      const file = join(mkdtempSync(join(tmpdir(), 'earshot-')), name);
      writeFileSync(file, bytes);
      expect(bytes.readUInt16LE(20), 'PCM').toBe(1);
      expect(bytes.readUInt16LE(34), 'bits').toBe(16);
      const rec = readWav(file);
      expect(rec.sampleRate).toBe(16_000);
      expect(rec.channels.length).toBe(1);
      const recSeconds = rec.channels[0].length / 16_000;
      expect(Math.abs(recSeconds - live.recordedSeconds), 'WAV length vs the app clock').toBeLessThan(0.05);
      expect(recSeconds).toBeGreaterThanOrEqual(length - 0.05);
      expect(recSeconds).toBeLessThan(length + 1.5);
      const source = readWav(micFile);
      const match = bestLag(envelope(rec.channels[0], 16_000), envelope(source.channels[0], source.sampleRate), 25).correlation;
      expect(match, 'recorded loudness envelope follows the played file').toBeGreaterThan(0.9);

      // The recording sent back through the file path ("Transcribe the recording": it becomes the
      // file to transcribe), then the played file itself; not for the toy model on the GPU (`maxWer`).
      let recordingWer = NaN;
      let fileWer = NaN;
      if (run.maxWer === undefined) {
        await page.click('[data-testid=retranscribe-recording]');
        await page.click('[data-testid=transcribe]');
        await page.waitForSelector('[data-testid=status][data-state=done], [data-testid=status][data-state=error]', { timeout: 480_000 });
        expect(await page.getAttribute('[data-testid=status]', 'data-state'), logs.join('\n')).toBe('done');
        recordingWer = wer([{ reference, hypothesis: (await segments(page)).map((s) => s.text).join(' ') }]);
        const fileRun = await transcribe(page, micFile, 480_000);
        expect(fileRun.state).toBe('done');
        fileWer = wer([{ reference, hypothesis: fileRun.segments.map((s) => s.text).join(' ') }]);
      }
      console.log(
        `[live] ${run.name} ${device}/${dtype} ${clips.length} clips, ${utterancesWithStableText} with settled text before their end, tentative seen: ${tentativeSeen}`,
      );
      console.log(
        `[live] ${run.name} ${device}/${dtype} ${clips.length} clips, ${recSeconds.toFixed(2)} s: live WER ${(liveWer * 100).toFixed(1)} %, ` +
          `file path on the same audio ${(fileWer * 100).toFixed(1)} %, on the kept recording ${(recordingWer * 100).toFixed(1)} %, ` +
          `envelope match ${match.toFixed(3)}, stats ${await page.getAttribute('[data-testid=status]', 'data-live-stats')}`,
      );
      if (live.segments.length === clips.length) {
        const misses = clips.map((c, i) => ({ reference: c.reference, live: live.segments[i].text.trim() })).filter((p) => wer([{ reference: p.reference, hypothesis: p.live }]) > 0);
        console.log(`[live] ${run.name} ${device}: utterances with errors: ${JSON.stringify(misses)}`);
      }
      if (run.maxWer !== undefined) {
        expect(liveWer, diag).toBeLessThanOrEqual(run.maxWer);
      } else {
        expect(liveWer, diag).toBeLessThanOrEqual(fileWer + run.tolerance);
        expect(Math.abs(recordingWer - fileWer), 'the kept recording transcribes as the played file does').toBeLessThanOrEqual(run.tolerance);
      }
    });
  });
}

describe.skipIf(!haveChromium() || !have('sox'))('live microphone mechanics (random-weight model, WASM)', () => {
  let server: TestServer;
  let micFile = '';

  beforeAll(async () => {
    const jfk = join(SHARED, 'audio/en/jfk.wav');
    micFile = joinWithPauses('live-mechanics.wav', [jfk, jfk], [2]);
    server = await startServer(join(ROOT, 'dist'), { [RANDOM]: ensureRandomModel('mechanics') });
  });

  afterAll(async () => {
    await server?.close();
  });

  /**
   * A page whose MediaStreamTracks and AudioContexts the test can reach, to do what the
   * system does: unplug the device (`ended`), suspend audio (mobile tab hidden).
   */
  async function openPage(browser: Browser) {
    const page = await (await browser.newContext({ acceptDownloads: true })).newPage();
    await page.addInitScript(() => {
      const w = window as unknown as { __tracks: MediaStreamTrack[]; __contexts: AudioContext[] };
      w.__tracks = [];
      w.__contexts = [];
      const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
      navigator.mediaDevices.getUserMedia = async (c) => {
        const s = await gum(c);
        w.__tracks.push(...s.getTracks());
        return s;
      };
      const Original = window.AudioContext;
      window.AudioContext = class extends Original {
        constructor(o?: AudioContextOptions) {
          super(o);
          w.__contexts.push(this);
        }
      };
    });
    const logs = watchConsole(page);
    await openApp(page, server, RANDOM, 'wasm', 'q8', 'fallback=0');
    return { page, logs };
  }

  const alert = (page: Page) => page.textContent('[data-testid=error]');

  it('shows the level and the clock, pauses and resumes, and keeps the recording on stop', async () => {
    const browser = await launch({ fakeMicWav: micFile });
    try {
      const { page, logs } = await openPage(browser);
      await pressRecord(page);
      await page.waitForSelector('[data-testid=live-panel][data-live=recording]', { timeout: 120_000 });
      // The level meter moves with the speech.
      let loudest = -100;
      for (let i = 0; i < 20; i++) {
        loudest = Math.max(loudest, Number(await page.getAttribute('[data-testid=level]', 'data-db')));
        await page.waitForTimeout(100);
      }
      expect(loudest, logs.join('\n')).toBeGreaterThan(-40);
      const clock = async () => Number(await page.getAttribute('[data-testid=live-elapsed]', 'data-seconds'));
      expect(await clock()).toBeGreaterThan(1);
      // No file job can start while recording: the File mode is locked.
      expect(await page.isEnabled('[data-testid=mode-file]')).toBe(false);

      await page.click('[data-testid=pause]');
      await page.waitForSelector('[data-testid=live-panel][data-live=paused]');
      await page.waitForTimeout(300);
      const pausedAt = await clock();
      await page.waitForTimeout(1000);
      expect(await clock(), 'the clock stops while paused').toBeCloseTo(pausedAt, 1);
      await page.click('[data-testid=pause]'); // now "Resume"
      await page.waitForSelector('[data-testid=live-panel][data-live=recording]');
      await page.waitForTimeout(1500);
      expect(await clock()).toBeGreaterThan(pausedAt + 1);

      await page.click('[data-testid=stop]');
      await page.waitForSelector('[data-testid=recording-kept]', { timeout: 120_000 });
      const seconds = Number(await page.getAttribute('[data-testid=recording-kept]', 'data-seconds'));
      const { bytes } = await downloadBytes(page, 'download-recording');
      expect(bytes.toString('ascii', 0, 4)).toBe('RIFF');
      expect((bytes.length - 44) / 2 / 16_000).toBeCloseTo(seconds, 2);
      expect(seconds).toBeGreaterThan(pausedAt + 1);
      expect(await page.getAttribute('[data-testid=status]', 'data-state')).toBe('done');
    } finally {
      await browser.close();
    }
  });

  it('says so when the microphone is refused, and keeps the transcript', async () => {
    const browser = await launch({ extraArgs: ['--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${micFile}`, '--deny-permission-prompts'] });
    try {
      const { page } = await openPage(browser);
      const before = (await transcribe(page, micFile)).segments;
      await pressRecord(page);
      await page.waitForSelector('[data-testid=error]', { timeout: 60_000 });
      expect(await alert(page)).toMatch(/Microphone access was refused/);
      expect(await segments(page)).toEqual(before);
      expect(await page.getAttribute('[data-testid=live-panel]', 'data-live')).toBe('idle');
    } finally {
      await browser.close();
    }
  });

  it('says so when there is no microphone', async () => {
    // No fake device: headless Chromium on a machine without audio input finds none.
    const browser = await launch({ extraArgs: ['--use-fake-ui-for-media-stream'] });
    try {
      const { page } = await openPage(browser);
      await pressRecord(page);
      await page.waitForSelector('[data-testid=error]', { timeout: 60_000 });
      expect(await alert(page)).toMatch(/No microphone was found|could not be started/);
      expect(await page.getAttribute('[data-testid=live-panel]', 'data-live')).toBe('idle');
    } finally {
      await browser.close();
    }
  });

  it('keeps the text and the recording when the microphone is unplugged, and pauses when the browser suspends audio', async () => {
    const browser = await launch({ fakeMicWav: micFile });
    try {
      const { page } = await openPage(browser);
      await pressRecord(page);
      await page.waitForSelector('[data-testid=live-panel][data-live=recording]', { timeout: 120_000 });
      await page.waitForTimeout(1500);

      // The browser suspends audio (a phone hides the tab): paused, with a message; resume works.
      await page.evaluate(() => (window as unknown as { __contexts: AudioContext[] }).__contexts.at(-1)!.suspend());
      await page.waitForSelector('[data-testid=live-panel][data-live=paused]', { timeout: 10_000 });
      expect(await alert(page)).toMatch(/Recording paused/);
      await page.click('[data-testid=pause]');
      await page.waitForSelector('[data-testid=live-panel][data-live=recording]');
      await page.waitForTimeout(6000);

      // The device goes away mid-session.
      await page.evaluate(() => {
        for (const t of (window as unknown as { __tracks: MediaStreamTrack[] }).__tracks) t.dispatchEvent(new Event('ended'));
      });
      await page.waitForSelector('[data-testid=recording-kept]', { timeout: 120_000 });
      expect(await alert(page)).toMatch(/microphone was disconnected/);
      expect(Number(await page.getAttribute('[data-testid=recording-kept]', 'data-seconds'))).toBeGreaterThan(6);
      expect(await page.getAttribute('[data-testid=status]', 'data-state')).toBe('done');
      const { bytes } = await downloadBytes(page, 'download-recording');
      expect(bytes.length).toBeGreaterThan(44 + 6 * 16_000 * 2);
    } finally {
      await browser.close();
    }
  });
});
