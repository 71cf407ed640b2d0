/**
 * The encoder's input: Whisper's log-mel features for one 30 s window.
 *
 * transformers.js pads every input to 30 s and runs a Bluestein FFT (1 024-point transforms for
 * a 400-point frame) and the mel projection over all 3 000 frames: 0.2–0.4 s of JavaScript per
 * window. `LogMel` (src/domain/audio/log-mel.ts) computes the same features with a mixed-radix
 * FFT and skips frames that hold only padding — a live pass on a 3 s utterance, the last window
 * of a file. It takes the extractor's own window and mel filters, so the numbers are the
 * extractor's (tests/unit/features.test.ts); a model whose frame length it cannot transform
 * falls back to the extractor.
 */
import { Tensor, type Processor } from '@huggingface/transformers';
import { LogMel } from '../../../src/domain/audio/log-mel';
import { featureExtractorOf } from './transformers-adapter';

interface WhisperFeatureExtractor {
  config: { n_fft: number; hop_length: number; nb_max_frames: number; mel_filters?: ArrayLike<number>[] };
  window?: ArrayLike<number>;
}

const cache = new WeakMap<Processor, LogMel | null>();

function logMelFor(processor: Processor): LogMel | null {
  if (cache.has(processor)) return cache.get(processor)!;
  const fe = featureExtractorOf<WhisperFeatureExtractor>(processor);
  const c = fe?.config;
  const ok = !!(c && fe.window && c.mel_filters && fe.window.length === c.n_fft && LogMel.supports(c.n_fft));
  const mel = ok ? new LogMel({ nFft: c.n_fft, hop: c.hop_length, frames: c.nb_max_frames, window: fe.window!, melFilters: c.mel_filters! }) : null;
  cache.set(processor, mel);
  return mel;
}

export async function logMel(processor: Processor, audio: Float32Array): Promise<Tensor> {
  const mel = logMelFor(processor);
  if (!mel) {
    const { input_features } = await processor(audio);
    return input_features as Tensor;
  }
  return new Tensor('float32', mel.compute(audio), [1, mel.mels, mel.frames]);
}
