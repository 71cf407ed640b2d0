/**
 * Whisper's log-mel features for one 30 s window, computed only where there is audio.
 *
 * transformers.js pads every input to 30 s and runs its STFT (a 400-point FFT per 10 ms frame)
 * and mel projection over all 3 000 frames: ~0.2 s on a laptop core, paid for every live pass
 * and every final, though a 2 s utterance fills 7 % of the window. Frames that lie wholly in the
 * zero padding are exactly log10(mel_floor) = −10 before normalisation, so the same extractor is
 * run on the audio plus 400 samples of zeros, and its last frame (all zeros, normalised with the
 * same maximum) fills the rest. The result equals the full computation (tests/unit/features.test.ts).
 */
import { Tensor, type Processor } from '@huggingface/transformers';
import { WINDOW_SAMPLES } from '../../src/domain/audio/constants';

const HOP = 160;
const FRAMES = WINDOW_SAMPLES / HOP;
/** n_fft: zeros after the audio so the last computed frames are all padding. */
const TAIL = 400;

interface WhisperFeatureExtractor {
  config: { feature_size: number };
  _extract_fbank_features(waveform: Float32Array): Promise<Tensor>;
}

export async function logMel(processor: Processor, audio: Float32Array): Promise<Tensor> {
  const extractor = (processor as unknown as { feature_extractor: WhisperFeatureExtractor }).feature_extractor;
  const padded = Math.ceil((audio.length + TAIL) / HOP) * HOP;
  if (padded >= WINDOW_SAMPLES || typeof extractor?._extract_fbank_features !== 'function') {
    const { input_features } = await processor(audio.subarray(0, WINDOW_SAMPLES));
    return input_features as Tensor;
  }
  const waveform = new Float32Array(padded);
  waveform.set(audio);
  const short = await extractor._extract_fbank_features(waveform);
  const [mels, frames] = short.dims;
  const data = short.data as Float32Array;
  // The last frame is all padding: its value is what every frame after the audio would have.
  const padding = data[frames - 1];
  const out = new Float32Array(mels * FRAMES);
  for (let m = 0; m < mels; m++) {
    out.set(data.subarray(m * frames, (m + 1) * frames), m * FRAMES);
    out.fill(padding, m * FRAMES + frames, (m + 1) * FRAMES);
  }
  return new Tensor('float32', out, [1, mels, FRAMES]);
}
