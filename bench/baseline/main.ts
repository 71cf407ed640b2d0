/**
 * The baseline, as most browser Whisper apps do it (xenova/whisper-web): decode the whole file
 * with an AudioContext at 16 kHz, hand it to a worker running
 * `pipeline('automatic-speech-recognition', …, { chunk_length_s: 30, stride_length_s: 5 })`.
 * The benchmark calls `window.baseline.load(...)` and `window.baseline.run(...)`.
 */
import type { BaselineRequest, BaselineResult } from './protocol';

let worker: Worker | null = null;

function call<T>(message: object): Promise<T> {
  worker ??= new Worker(new URL('./baseline.worker.ts', import.meta.url), { type: 'module' });
  return new Promise((resolve, reject) => {
    worker!.onmessage = (e) => (e.data.error ? reject(new Error(e.data.error)) : resolve(e.data));
    worker!.onerror = (e) => reject(new Error(e.message));
    worker!.postMessage(message);
  });
}

async function decode(url: string): Promise<Float32Array> {
  const bytes = await (await fetch(url)).arrayBuffer();
  const ctx = new AudioContext({ sampleRate: 16_000 });
  const buffer = await ctx.decodeAudioData(bytes);
  await ctx.close();
  if (buffer.numberOfChannels === 1) return buffer.getChannelData(0);
  const a = buffer.getChannelData(0);
  const b = buffer.getChannelData(1);
  return a.map((x, i) => (x + b[i]) / 2);
}

(window as unknown as { baseline: unknown }).baseline = {
  async load(request: Omit<BaselineRequest, 'audio'>): Promise<{ seconds: number }> {
    const t0 = performance.now();
    await call({ type: 'load', ...request });
    return { seconds: (performance.now() - t0) / 1000 };
  },
  async run(audioUrl: string, language: string, words = false): Promise<BaselineResult & { wallSeconds: number; audioSeconds: number }> {
    const t0 = performance.now();
    const audio = await decode(audioUrl);
    const result = await call<BaselineResult>({ type: 'run', audio, language, words });
    return { ...result, wallSeconds: (performance.now() - t0) / 1000, audioSeconds: audio.length / 16_000 };
  },
};
