/**
 * The workspace against a fake worker client: a file's audio is decoded once — the file job's
 * decode serves the speaker search and the dataset export by its handle — and decoded again
 * only when the worker lost it (a restart); a failure says what it stopped and keeps the
 * transcript the user had.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Workspace } from '../../src/state/workspace.svelte';
import { ModelSession } from '../../src/state/model.svelte';
import type { LoadRequest } from '../../workers/asr/protocol';
import { fakeWorker, toneWav } from '../fixtures/fake-worker';

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
