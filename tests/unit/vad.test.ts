import { existsSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { VAD_FRAME_SAMPLES, VadSegmenter, type VadEvent } from '../../src/domain/audio/vad-segmenter';
import { SileroVad, type OrtRuntime } from '../../workers/asr/runtime/vad';
import { readWav } from '../fixtures/wav';

const SHARED_VAD = '../shared/vad/silero_vad.onnx';
const SHIPPED_VAD = 'node_modules/@ricky0123/vad-web/dist/silero_vad_v6.onnx';
const SPEECH = '../shared/audio/en/silero-vad-tests-test.wav';

function run(probs: number[], options = {}) {
  const seg = new VadSegmenter(options);
  const events: VadEvent[] = [];
  for (const p of probs) events.push(...seg.push(p));
  events.push(...seg.flush());
  return events;
}

const ends = (events: VadEvent[]) => events.filter((e): e is Extract<VadEvent, { type: 'end' }> => e.type === 'end');

describe('VadSegmenter', () => {
  const opts = { minSilenceFrames: 5, minSpeechFrames: 3, preRollFrames: 2, postRollFrames: 1, maxUtteranceFrames: 1000, cutSearchFrames: 10 };

  it('keeps a dip between words inside one utterance and cuts at a real pause', () => {
    const probs = [0, 0, 0, 0, 0.9, 0.9, 0.9, 0.1, 0.2, 0.9, 0.9, ...Array(8).fill(0.05), 0.95, 0.95, 0.95, 0.95, ...Array(6).fill(0)];
    const e = ends(run(probs, opts));
    expect(e).toEqual([
      { type: 'end', start: 2, end: 12, speechEnd: 11, forced: false },
      // Pre-roll never reaches back into the previous utterance.
      { type: 'end', start: 17, end: 24, speechEnd: 23, forced: false },
    ]);
  });

  it('drops blips shorter than the minimum speech', () => {
    const events = run([0, 0.9, 0.9, ...Array(10).fill(0)], opts);
    expect(ends(events)).toEqual([]);
    expect(events.some((e) => e.type === 'discard')).toBe(true);
  });

  it('cuts an over-long utterance at its quietest recent frame and carries on', () => {
    const probs = Array.from({ length: 60 }, (_, i) => (i === 25 ? 0.4 : 0.9));
    const e = ends(run(probs, { ...opts, maxUtteranceFrames: 30 }));
    expect(e[0]).toEqual({ type: 'end', start: 0, end: 26, speechEnd: 26, forced: true });
    expect(e[1].start).toBe(26);
    for (const u of e) expect(u.end - u.start).toBeLessThanOrEqual(30);
  });

  it('ends the open utterance on flush (pause, stop)', () => {
    const e = ends(run([0.9, 0.9, 0.9, 0.9], opts));
    expect(e).toEqual([{ type: 'end', start: 0, end: 4, speechEnd: 4, forced: false }]);
  });
});

const ortRuntime = ort as unknown as OrtRuntime;

async function probabilities(modelPath: string, audio: Float32Array): Promise<number[]> {
  const vad = await SileroVad.create(ortRuntime, modelPath, 'cpu');
  const out: number[] = [];
  for (let i = 0; i + VAD_FRAME_SAMPLES <= audio.length; i += VAD_FRAME_SAMPLES) out.push(await vad.probability(audio.subarray(i, i + VAD_FRAME_SAMPLES)));
  await vad.dispose();
  return out;
}

function rmsDb(audio: Float32Array, ranges: [number, number][]): number {
  let sum = 0;
  let n = 0;
  for (const [a, b] of ranges) for (let i = a; i < b; i++) (sum += audio[i] ** 2), n++;
  return 10 * Math.log10(sum / Math.max(1, n) + 1e-12);
}

describe.skipIf(!existsSync(SPEECH) || !existsSync(SHARED_VAD))('Silero VAD on the reference recording (../shared)', () => {
  const audio = existsSync(SPEECH) ? readWav(SPEECH).channels[0] : new Float32Array();

  for (const [name, model] of [
    ['../shared/vad/silero_vad.onnx', SHARED_VAD],
    ['the model the app ships (@ricky0123/vad-web silero_vad_v6.onnx)', SHIPPED_VAD],
  ] as const) {
    it(`finds the speech and leaves out the silence: ${name}`, async () => {
      expect(readWav(SPEECH).sampleRate).toBe(16_000);
      const probs = await probabilities(model, audio);
      const utterances = ends(run(probs));
      const inside = utterances.map((u) => [u.start * VAD_FRAME_SAMPLES, u.end * VAD_FRAME_SAMPLES] as [number, number]);
      const outside: [number, number][] = [];
      let at = 0;
      for (const [a, b] of inside) {
        outside.push([at, a]);
        at = b;
      }
      outside.push([at, audio.length]);
      const speechSeconds = inside.reduce((s, [a, b]) => s + (b - a), 0) / 16_000;
      // 60 s of read speech with pauses: several utterances, most but not all of the file.
      expect(utterances.length).toBeGreaterThanOrEqual(4);
      expect(speechSeconds).toBeGreaterThan(40);
      expect(speechSeconds).toBeLessThan(57);
      // What is not sent to Whisper is far quieter than what is.
      expect(rmsDb(audio, inside) - rmsDb(audio, outside)).toBeGreaterThan(15);
      for (const u of utterances) expect(u.end - u.start).toBeLessThanOrEqual(new VadSegmenter().options.maxUtteranceFrames);
    });
  }

  it('finds nothing in silence and in low noise', async () => {
    const quiet = new Float32Array(16_000 * 5);
    let seed = 1;
    for (let i = 16_000 * 2.5; i < quiet.length; i++) quiet[i] = (((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) - 0.5) * 0.002;
    const probs = await probabilities(SHIPPED_VAD, quiet);
    expect(ends(run(probs))).toEqual([]);
  });
});
