/**
 * The file job against a fake model session (no worker, no browser): what the progress line
 * tells the user while a long file runs — "reading the first window" until one comes back, then
 * a time left measured from this run's own pace (a resumed job's earlier part is not its work).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FileJob } from '../../src/state/jobs/file-job.svelte';
import { TranscriptDocument } from '../../src/state/document.svelte';
import { History } from '../../src/state/history.svelte';
import type { ModelSession } from '../../src/state/model.svelte';
import type { DecodedAudio, LoadRequest, TranscribeResult, TranscribeUpdate } from '../../workers/asr/protocol';
import type { Segment } from '../../src/domain/transcript/types';
import { pcmWav } from '../fixtures/fake-worker';


/** A mono 16 kHz 16-bit WAV of silence. */
const silenceWav = (seconds: number, name: string) => pcmWav(seconds, name, () => 0);

/** A model session whose worker is the test: it decides when windows come back. */
function fakeSession() {
  let update: ((u: TranscribeUpdate) => void) | null = null;
  let finish: ((r: TranscribeResult) => void) | null = null;
  const session = {
    load: async () => ({ ok: true }),
    onCrash: () => {},
    recycle: () => {},
    client: {
      prepareAudio: async (a: DecodedAudio) => ({ id: 'a1', seconds: a.channels[0].length / a.sampleRate }),
      transcribe: (_: unknown, onUpdate: (u: TranscribeUpdate) => void) =>
        new Promise<TranscribeResult>((resolve) => {
          update = onUpdate;
          finish = resolve;
        }),
      cancel: async () => {},
    },
  };
  const window = (processedSeconds: number, segments: Segment[] = [], segmentsFrom = 0) => update!({ segments, segmentsFrom, partial: '', processedSeconds, settledSeconds: processedSeconds, language: 'en', languageGuesses: null });
  const end = (processedSeconds: number) =>
    finish!({ segments: [], segmentsFrom: 0, partial: '', processedSeconds, settledSeconds: processedSeconds, language: 'en', languageGuesses: null, cancelled: false, loopsCut: 0, stats: {} as TranscribeResult['stats'] });
  return { session: session as unknown as ModelSession, window, end, started: () => update !== null };
}

const request = { modelId: 'm', device: 'wasm', dtype: 'auto', source: { kind: 'hf' } } as unknown as LoadRequest;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['performance', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'Date'] });
  // No Web Audio in Node: the browser "refuses" the WAV and the app's own PCM reader takes it.
  vi.stubGlobal('AudioBuffer', class {});
  vi.stubGlobal('OfflineAudioContext', class { decodeAudioData = () => Promise.reject(new Error('no decoder here')); });
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

async function until(cond: () => boolean) {
  for (let i = 0; i < 200 && !cond(); i++) await vi.advanceTimersByTimeAsync(1);
  expect(cond()).toBe(true);
}

describe('time left on a long file', () => {
  it('says it is reading the first window, then measures the pace after it', async () => {
    const fake = fakeSession();
    const job = new FileJob(fake.session, new TranscriptDocument(), new History(), { started: () => {} });
    const done = job.run(silenceWav(600, 'ten-minutes.wav'), request, { language: 'en', task: 'transcribe', prompt: '' });
    await until(fake.started);
    expect(job.readingFirstWindow).toBe(true);
    expect(job.etaSeconds).toBeNull();
    // The first window is slow (language guess, warm-up): 40 s for 30 s of audio.
    await vi.advanceTimersByTimeAsync(40_000);
    fake.window(30);
    expect(job.readingFirstWindow).toBe(false);
    expect(job.etaSeconds).toBeNull();
    // Then 10 s per 30 s window: 540 s of audio left at 3 audio-seconds a second.
    await vi.advanceTimersByTimeAsync(20_000);
    fake.window(90);
    await vi.advanceTimersByTimeAsync(250);
    expect(job.etaSeconds).toBeGreaterThan(0.95 * (510 / 3));
    expect(job.etaSeconds).toBeLessThan(1.05 * (510 / 3));
    fake.end(600);
    expect((await done).status).toBe('done');
    expect(job.etaSeconds).toBeNull();
  });

  it('after a resume, counts only this run’s work (not the part done before)', async () => {
    const fake = fakeSession();
    const job = new FileJob(fake.session, new TranscriptDocument(), new History(), { started: () => {} });
    // 30 minutes, cancelled at 9:42 before: 1,218 s left.
    const done = job.run(silenceWav(1800, 'half-hour.wav'), request, { language: 'en', task: 'transcribe', prompt: '' }, { id: 'e1', segments: [], from: 582 });
    await until(fake.started);
    expect(job.processedSeconds).toBe(582);
    expect(job.etaSeconds).toBeNull();
    await vi.advanceTimersByTimeAsync(10_000);
    fake.window(30);
    await vi.advanceTimersByTimeAsync(10_000);
    fake.window(60);
    await vi.advanceTimersByTimeAsync(250);
    // 30 s of audio in 10 s: 1,158 s of audio left take about 386 s, not the 44 s the resumed part suggested.
    expect(job.etaSeconds).toBeGreaterThan(0.95 * (1158 / 3));
    expect(job.etaSeconds).toBeLessThan(1.05 * (1158 / 3));
    fake.end(1218);
    expect((await done).status).toBe('done');
  });

  it('builds the transcript from updates that carry only what changed', async () => {
    const fake = fakeSession();
    const doc = new TranscriptDocument();
    const job = new FileJob(fake.session, doc, new History(), { started: () => {} });
    const done = job.run(silenceWav(90, 'three-windows.wav'), request, { language: 'en', task: 'transcribe', prompt: '' });
    await until(fake.started);
    const seg = (start: number, text: string): Segment => ({ start, end: start + 2, text });
    const texts = () => doc.segments.map((s) => s.text);
    fake.window(30, [seg(0, ' one'), seg(10, ' two')], 0);
    expect(texts()).toEqual([' one', ' two']);
    fake.window(60, [seg(30, ' three')], 2);
    expect(texts()).toEqual([' one', ' two', ' three']);
    // The engine dropped a repeat it had sent: the update starts there.
    fake.window(90, [seg(30, ' three, again'), seg(60, ' four')], 2);
    expect(texts()).toEqual([' one', ' two', ' three, again', ' four']);
    fake.end(90);
    expect((await done).status).toBe('done');
  });
});
