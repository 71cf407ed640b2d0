/**
 * The batch queue against a fake worker client (no browser): files run one after another in the
 * order shown, a bad file fails with its own reason while the rest go on, a model that does not
 * load pauses the queue (nothing is lost) and Resume goes on, and a failed file can be retried.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Workspace } from '../../src/state/workspace.svelte';
import { ModelSession } from '../../src/state/model.svelte';
import type { LoadRequest } from '../../workers/asr/protocol';
import { fakeWorker, toneWav } from '../fixtures/fake-worker';

const request = { modelId: 'whisper-tiny.en', source: { kind: 'huggingface' }, device: 'wasm', dtype: 'auto' } as LoadRequest;
const options = { language: 'en', task: 'transcribe' as const, prompt: '' };
const broken = (name: string) => new File([new Uint8Array(300).fill(7)], name, { type: 'audio/mpeg' });

beforeEach(() => {
  // No Web Audio in Node: the browser "refuses" the WAV and the app's own PCM reader takes it.
  vi.stubGlobal('AudioBuffer', class {});
  vi.stubGlobal('OfflineAudioContext', class { decodeAudioData = () => Promise.reject(new Error('no decoder here')); });
});
afterEach(() => vi.unstubAllGlobals());

async function until(cond: () => boolean) {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(cond()).toBe(true);
}

function setup() {
  const worker = fakeWorker();
  const finished: [number, number][] = [];
  const ws = new Workspace({ queueRequest: (k) => k ?? request, queueFinished: (d, f) => finished.push([d, f]), model: new ModelSession(() => worker.client) });
  return { worker, ws, finished };
}

describe('the batch queue', () => {
  it('runs the files in the order shown; a bad one fails with its own reason and the rest go on', async () => {
    const { ws, worker, finished } = setup();
    await ws.queue.add([toneWav(1, 'a.wav'), broken('b.mp3'), toneWav(1, 'c.wav')]);
    const [a, , c] = ws.queue.items;
    ws.queue.move(c.id, -1); // c before b
    ws.queue.move(a.id, 1); // then a after c: c, a, b
    expect(ws.queue.items.map((i) => i.name)).toEqual(['c.wav', 'a.wav', 'b.mp3']);
    ws.queue.start({ request, options });
    await until(() => !ws.queue.active);
    expect(ws.queue.items.map((i) => [i.name, i.state])).toEqual([['c.wav', 'done'], ['a.wav', 'done'], ['b.mp3', 'error']]);
    expect(ws.queue.items[2].error).toMatchObject({ key: 'errBadAudio', params: { name: 'b.mp3' } });
    expect(worker.calls.transcribe).toHaveLength(2);
    expect(finished).toEqual([[2, 1]]);
    expect(ws.queue.counts).toMatchObject({ done: 2, error: 1, queued: 0, total: 3 });
  });

  it('pauses when the model does not load, keeps every file, says the model did not load, and goes on after Resume', async () => {
    const { ws, worker, finished } = setup();
    worker.failLoad(Object.assign(new Error('No model “whisper-tiny.en” at this model source.'), { name: 'NotFound' }));
    await ws.queue.add([toneWav(1, 'a.wav'), toneWav(1, 'b.wav')]);
    ws.queue.start({ request, options });
    await until(() => ws.queue.paused);
    expect(ws.queue.items.map((i) => i.state)).toEqual(['queued', 'queued']);
    expect(ws.failure).toEqual({ what: 'load' });
    expect(ws.status).toBe('error');
    expect(finished).toEqual([]);
    worker.failLoad(null);
    ws.dismissError();
    ws.queue.resume();
    await until(() => !ws.queue.active);
    expect(ws.queue.items.map((i) => i.state)).toEqual(['done', 'done']);
    expect(finished).toEqual([[2, 0]]);
  });

  it('retries a failed file in its place; removing a waiting file leaves the rest', async () => {
    const { ws, worker } = setup();
    await ws.queue.add([broken('bad.mp3'), toneWav(1, 'a.wav'), toneWav(1, 'gone.wav')]);
    await ws.queue.remove(ws.queue.items[2].id);
    ws.queue.start({ request, options });
    await until(() => !ws.queue.active);
    expect(ws.queue.items.map((i) => [i.name, i.state])).toEqual([['bad.mp3', 'error'], ['a.wav', 'done']]);
    ws.queue.retry(ws.queue.items[0].id);
    await until(() => !ws.queue.active);
    // Still not audio: failed again, with its reason, and nothing else ran again.
    expect(ws.queue.items[0].state).toBe('error');
    expect(worker.calls.transcribe).toHaveLength(1);
  });
});
