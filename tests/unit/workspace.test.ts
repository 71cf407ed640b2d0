/**
 * The workspace against a fake worker client: a file's audio is decoded once — the file job's
 * decode serves the speaker search and the dataset export by its handle — and decoded again
 * only when the worker lost it (a restart); a failure says what it stopped and keeps the
 * transcript the user had.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Workspace } from '../../src/state/workspace.svelte';
import { ModelSession } from '../../src/state/model.svelte';
import type { AsrClient } from '../../src/services/asr-client';
import type { DecodedAudio, DiarizeRequest, LoadRequest, TranscribeRequest } from '../../workers/asr/protocol';

const SR = 16_000;

function toneWav(seconds: number, name: string): File {
  const n = seconds * SR;
  const h = new DataView(new ArrayBuffer(44 + n * 2));
  const text = (at: number, s: string) => [...s].forEach((c, i) => h.setUint8(at + i, c.charCodeAt(0)));
  text(0, 'RIFF');
  h.setUint32(4, 36 + n * 2, true);
  text(8, 'WAVEfmt ');
  h.setUint32(16, 16, true);
  h.setUint16(20, 1, true);
  h.setUint16(22, 1, true);
  h.setUint32(24, SR, true);
  h.setUint32(28, SR * 2, true);
  h.setUint16(32, 2, true);
  h.setUint16(34, 16, true);
  text(36, 'data');
  h.setUint32(40, n * 2, true);
  for (let i = 0; i < n; i++) h.setInt16(44 + i * 2, Math.round(8000 * Math.sin(i / 8)), true);
  return new File([h.buffer], name, { type: 'audio/wav' });
}

/** A worker that keeps decoded audio by handle, as the real one does, and forgets it on `restart()`. */
function fakeWorker() {
  const kept = new Map<string, Float32Array>();
  const calls = { prepare: 0, transcribe: [] as TranscribeRequest[], diarize: [] as DiarizeRequest[] };
  const gone = () => Object.assign(new Error('gone'), { name: 'AudioGone' });
  const client = {
    load: async (r: LoadRequest) => ({ modelId: r.modelId, device: 'wasm', dtype: { encoder: 'q8', decoder: 'q8' }, threads: 1, multilingual: false, seconds: 0, stored: true, dtypeReason: 'default', wordTimings: 'exported' }),
    prepareAudio: async (a: DecodedAudio) => {
      calls.prepare++;
      const id = `a${calls.prepare}`;
      kept.set(id, a.channels[0]);
      return { id, seconds: a.channels[0].length / a.sampleRate };
    },
    audioSamples: async (handle: string) => {
      if (!kept.has(handle)) throw gone();
      return kept.get(handle)!.slice();
    },
    transcribe: async (r: TranscribeRequest) => {
      calls.transcribe.push(r);
      if (!kept.has(r.audio)) throw gone();
      const segments = [{ start: 0, end: 1.5, text: ' Hello there.', words: [{ word: ' Hello', start: 0, end: 0.6, probability: 0.9 }, { word: ' there.', start: 0.6, end: 1.5, probability: 0.9 }] }];
      return { segments, segmentsFrom: 0, partial: '', processedSeconds: 2, settledSeconds: 2, language: 'en', languageGuesses: null, cancelled: false, loopsCut: 0, stats: {} };
    },
    diarize: async (r: DiarizeRequest) => {
      calls.diarize.push(r);
      if (!kept.has(r.audio)) throw gone();
      return { turns: [{ start: 0, end: 2, speaker: 0 }], speakers: 1, cancelled: false, seconds: 0.1 };
    },
    cancel: async () => {},
  };
  const worker = { client: client as unknown as AsrClient, calls, restart: () => kept.clear(), failLoad: (err: Error | null) => void (client.load = err ? () => Promise.reject(err) : load) };
  const load = client.load;
  return worker;
}

const request = { modelId: 'whisper-tiny.en', source: { kind: 'huggingface' }, device: 'wasm', dtype: 'auto' } as LoadRequest;

beforeEach(() => {
  // No Web Audio in Node: the browser "refuses" the WAV and the app's own PCM reader takes it.
  vi.stubGlobal('AudioBuffer', class {});
  vi.stubGlobal('OfflineAudioContext', class { decodeAudioData = () => Promise.reject(new Error('no decoder here')); });
});
afterEach(() => vi.unstubAllGlobals());

describe('the audio of a transcript', () => {
  it('is decoded once: the speaker search and the dataset use the file job’s handle', async () => {
    const worker = fakeWorker();
    const ws = new Workspace({ queueRequest: (k) => k!, model: new ModelSession(() => worker.client) });
    await ws.transcribeFile(toneWav(2, 'note.wav'), request, { language: 'en', task: 'transcribe', prompt: '' });
    expect(ws.document.segments.map((s) => s.text)).toEqual([' Hello there.']);
    expect(worker.calls.prepare).toBe(1);
    await ws.findSpeakers(['https://example.org/models/']);
    expect(worker.calls.diarize.map((r) => r.audio)).toEqual([worker.calls.transcribe[0].audio]);
    expect(ws.speakers.status).toBe('done');
    expect(worker.calls.prepare).toBe(1);
  });

  it('is decoded again, once, when the worker lost it', async () => {
    const worker = fakeWorker();
    const ws = new Workspace({ queueRequest: (k) => k!, model: new ModelSession(() => worker.client) });
    await ws.transcribeFile(toneWav(2, 'note.wav'), request, { language: 'en', task: 'transcribe', prompt: '' });
    worker.restart();
    await ws.findSpeakers(['https://example.org/models/']);
    expect(ws.speakers.status).toBe('done');
    expect(worker.calls.prepare).toBe(2);
    await ws.findSpeakers(['https://example.org/models/']);
    expect(worker.calls.prepare).toBe(2);
    expect(new Set(worker.calls.diarize.map((r) => r.audio)).size).toBe(2);
  });
});

describe('a failure', () => {
  it('of a file names that file and keeps the transcript shown (another file’s)', async () => {
    const worker = fakeWorker();
    const ws = new Workspace({ queueRequest: (k) => k!, model: new ModelSession(() => worker.client) });
    await ws.transcribeFile(toneWav(2, 'note.wav'), request, { language: 'en', task: 'transcribe', prompt: '' });
    await ws.transcribeFile(new File([new Uint8Array(300).fill(7)], 'broken.mp3', { type: 'audio/mpeg' }), request, { language: 'en', task: 'transcribe', prompt: '' });
    expect(ws.status).toBe('error');
    expect(ws.failure).toEqual({ what: 'file', name: 'broken.mp3' });
    expect(ws.error).toMatchObject({ key: 'errBadAudio', params: { name: 'broken.mp3' } });
    expect(ws.document.meta.sourceName).toBe('note.wav');
    expect(ws.document.segments.map((s) => s.text)).toEqual([' Hello there.']);
  });

  it('of the model’s load says the model did not load (not the file), and the next good run clears it', async () => {
    const worker = fakeWorker();
    const ws = new Workspace({ queueRequest: (k) => k!, model: new ModelSession(() => worker.client) });
    worker.failLoad(Object.assign(new Error('No model “x” at this model source.'), { name: 'NotFound' }));
    await ws.transcribeFile(toneWav(2, 'note.wav'), { ...request, modelId: 'x' }, { language: 'en', task: 'transcribe', prompt: '' });
    expect(ws.status).toBe('error');
    expect(ws.failure).toEqual({ what: 'load' });
    expect(ws.error?.message ?? ws.error?.key).toBeTruthy();
    worker.failLoad(null);
    await ws.transcribeFile(toneWav(2, 'note.wav'), request, { language: 'en', task: 'transcribe', prompt: '' });
    expect(ws.status).toBe('done');
    expect(ws.failure).toBeNull();
    expect(ws.error).toBeNull();
  });
});
